//! The bundled samples: one button each; picking one analyses it like a dropped file.

use yew::prelude::*;

use crate::Actions;
use crate::route::Route;
use crate::samples::GALLERY;

#[derive(Properties, PartialEq)]
pub struct GalleryProps {
    pub actions: Actions,
}

#[function_component(Gallery)]
pub fn gallery(props: &GalleryProps) -> Html {
    html! {
        <section id="samples" class="gallery" aria-labelledby="samples-heading">
            <h2 id="samples-heading">{ "Or try a recorded sample" }</h2>
            <ul>
                { for GALLERY.iter().map(|sample| {
                    let actions = props.actions.clone();
                    let onclick = Callback::from(move |_: MouseEvent| {
                        let view = actions.route().view;
                        actions.load_sample(sample, Route { view, ..Route::default() });
                    });
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
