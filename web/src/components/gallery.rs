//! The bundled samples: one button each; picking one analyses it like a dropped file.

use yew::prelude::*;

use crate::samples::{SAMPLES, Sample};

#[derive(Properties, PartialEq)]
pub struct GalleryProps {
    pub on_pick: Callback<&'static Sample>,
}

#[function_component(Gallery)]
pub fn gallery(props: &GalleryProps) -> Html {
    html! {
        <section id="samples" class="gallery">
            <h2>{ "Or try a recorded sample" }</h2>
            <ul>
                { for SAMPLES.iter().map(|sample| {
                    let on_pick = props.on_pick.clone();
                    let onclick = Callback::from(move |_: MouseEvent| on_pick.emit(sample));
                    html! {
                        <li>
                            <button type="button" class="sample" data-sample={sample.name} {onclick}>
                                <span class="sample-name">{ sample.name }</span>
                                <span class="sample-description">{ sample.description }</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
