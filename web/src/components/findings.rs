//! The findings list and the clock table.

use std::rc::Rc;

use yew::prelude::*;

use crate::view_model::PageModel;

#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    pub model: Rc<PageModel>,
}

#[function_component(FindingsList)]
pub fn findings_list(props: &FindingsProps) -> Html {
    if props.model.findings.is_empty() {
        return html! {
            <section id="findings"><h2>{ "Findings" }</h2><p class="none">{ "No findings." }</p></section>
        };
    }
    html! {
        <section id="findings">
            <h2>{ "Findings" }</h2>
            <ul class="findings">
                { for props.model.findings.iter().map(|finding| html! {
                    <li class={classes!("finding", finding.severity)} data-code={finding.code}
                        data-severity={finding.severity}>
                        <div class="finding-head">
                            <span class={classes!("severity", finding.severity)}>{ finding.severity }</span>
                            <code class="code">{ finding.code }</code>
                            <span class="finding-title">{ &finding.title }</span>
                            <span class="place">{ format!("{}; {}", finding.place, finding.exchanges) }</span>
                        </div>
                        <p class="message">{ &finding.message }</p>
                        // Info findings are observations, not problems: no fix to offer.
                        if finding.severity != "info" && !finding.fix.is_empty() {
                            <p class="fix"><strong>{ "Fix: " }</strong>{ &finding.fix }</p>
                        }
                    </li>
                }) }
            </ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClocksProps {
    pub model: Rc<PageModel>,
}

#[function_component(ClockTable)]
pub fn clock_table(props: &ClocksProps) -> Html {
    html! {
        <section id="clocks">
            <h2>{ "Clocks" }</h2>
            if props.model.clocks.is_empty() {
                <p class="none">{ "No server clock could be compared with the capture clock." }</p>
            } else {
                <table class="clocks">
                    <caption>{ "Offset of each server's clock from the capture clock (the recording machine)" }</caption>
                    <thead><tr>
                        <th>{ "host" }</th><th>{ "role" }</th><th>{ "offset" }</th>
                        <th>{ "uncertainty" }</th><th>{ "observations" }</th>
                    </tr></thead>
                    <tbody>
                        { for props.model.clocks.iter().map(|clock| html! {
                            <tr class="clock" data-role={clock.role}>
                                <td>{ &clock.host }</td><td>{ clock.role }</td>
                                <td class="num">{ &clock.offset }</td><td class="num">{ &clock.uncertainty }</td>
                                <td class="num">{ clock.observations }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
