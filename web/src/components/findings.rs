//! The findings list, one session's findings, and the clock table.

use yew::prelude::*;

use crate::state::Shared;
use crate::timeline::ClockChart;
use crate::view_model::{FindingModel, Overview, SessionDetail};

#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    pub overview: Shared<Overview>,
}

#[function_component(FindingsList)]
pub fn findings_list(props: &FindingsProps) -> Html {
    let overview = &props.overview;
    if overview.findings.is_empty() {
        return html! {
            <section id="findings"><h2>{ "Findings" }</h2><p class="none">{ "No findings." }</p></section>
        };
    }
    html! {
        <section id="findings">
            <h2>{ "Findings" }</h2>
            <ul class="findings">
                { for overview.findings.iter().map(finding_item) }
            </ul>
            if overview.finding_count > overview.findings.len() {
                <p class="none">{ format!("…and {} more; each session lists its own with its diagram, and the JSON export has them all.", overview.finding_count - overview.findings.len()) }</p>
            }
        </section>
    }
}

fn finding_item(finding: &FindingModel) -> Html {
    let severity = finding.severity.as_str();
    html! {
        <li class={classes!("finding", severity)} data-code={finding.code.as_str()}
            data-severity={severity}>
            <div class="finding-head">
                <span class={classes!("severity", severity)}>{ severity }</span>
                <code class="code">{ finding.code.as_str() }</code>
                <span class="finding-title">{ &finding.title }</span>
                <span class="place">{ format!("{}; {}", finding.place, finding.exchanges) }</span>
            </div>
            <p class="message">{ super::prose(&finding.message) }</p>
            // Info findings are observations, not problems: no fix to offer.
            if finding.severity != regauth_core::analysis::Severity::Info && !finding.fix.is_empty() {
                <p class="fix"><strong>{ "Fix: " }</strong>{ super::prose(&finding.fix) }</p>
            }
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct SessionFindingsProps {
    pub detail: Shared<SessionDetail>,
}

/// The findings of the session on screen, when the capture has more than the overview lists.
#[function_component(SessionFindings)]
pub fn session_findings(props: &SessionFindingsProps) -> Html {
    let detail = &props.detail;
    html! {
        <section id="session-findings" aria-labelledby="session-findings-heading">
            <h3 id="session-findings-heading">{ format!("Findings of session {} ({})", detail.session.index + 1, detail.finding_count) }</h3>
            if detail.findings.is_empty() {
                <p class="none">{ "No findings in this session." }</p>
            } else {
                <ul class="findings">{ for detail.findings.iter().map(finding_item) }</ul>
            }
            if detail.finding_count > detail.findings.len() {
                <p class="none">{ format!("…and {} more; the JSON export has them all.", detail.finding_count - detail.findings.len()) }</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClocksProps {
    pub overview: Shared<Overview>,
}

#[function_component(ClockTable)]
pub fn clock_table(props: &ClocksProps) -> Html {
    let overview = &props.overview;
    html! {
        <section id="clocks">
            <h2>{ "Clocks" }</h2>
            if overview.clocks.is_empty() {
                <p class="none">{ "No server clock could be compared with the capture clock." }</p>
            } else {
                if let Some(chart) = &overview.clock_chart { { offsets_chart(chart) } }
                <table class="clocks">
                    <caption>{ "Offset of each server's clock from the capture clock (the recording machine)" }</caption>
                    <thead><tr>
                        <th>{ "host" }</th><th>{ "role" }</th><th>{ "offset" }</th>
                        <th>{ "uncertainty" }</th><th>{ "observations" }</th>
                    </tr></thead>
                    <tbody>
                        { for overview.clocks.iter().map(|clock| html! {
                            <tr class="clock" data-role={clock.role.as_str()}>
                                <td>{ &clock.host }</td><td>{ clock.role.as_str() }</td>
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

/// Each clock's offset from the capture clock (the middle line), with its uncertainty.
fn offsets_chart(chart: &ClockChart) -> Html {
    let row_height = 30;
    let height = chart.bars.len() * row_height + 24;
    html! {
        <figure class="clock-chart">
            <svg width="100%" height={height.to_string()} role="img"
                aria-label={format!("Clock offsets from the capture clock, scale ±{:.0} s", chart.half_range_s)}>
                <line class="zero" x1="50%" x2="50%" y1="0" y2={(height - 18).to_string()} />
                { for chart.bars.iter().enumerate().map(|(n, bar)| {
                    let y = n * row_height + 4;
                    html! {
                        <g class="offset" data-role={bar.role.as_str()}>
                            <text class="host" x="0.5%" y={(y + 12).to_string()}>{ format!("{} ({})", bar.host, bar.role.as_str()) }</text>
                            <rect class="uncertainty" x={format!("{:.2}%", bar.x_low)} y={(y + 15).to_string()}
                                width={format!("{:.2}%", (bar.x_high - bar.x_low).max(0.5))} height="8" />
                            <circle class="at" cx={format!("{:.2}%", bar.x)} cy={(y + 19).to_string()} r="4" />
                            <text class="value" x={format!("{:.2}%", if bar.x > 70.0 { bar.x - 1.0 } else { bar.x + 1.0 })}
                                y={(y + 12).to_string()} text-anchor={if bar.x > 70.0 { "end" } else { "start" }}>{ &bar.label }</text>
                        </g>
                    }
                }) }
                <text class="scale" x="0.5%" y={(height - 4).to_string()}>{ format!("−{:.0} s", chart.half_range_s) }</text>
                <text class="scale" x="50%" y={(height - 4).to_string()} text-anchor="middle">{ "capture clock" }</text>
                <text class="scale" x="99.5%" y={(height - 4).to_string()} text-anchor="end">{ format!("+{:.0} s", chart.half_range_s) }</text>
            </svg>
        </figure>
    }
}
