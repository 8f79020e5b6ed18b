//! Drop zone, file picker (several files at once) and a box for pasted HAR text. Each hands
//! `File` objects to the app; pasted text becomes a `File` too, so the worker reads it like
//! any other input and the page never keeps it.

use wasm_bindgen::JsCast as _;
use web_sys::{DragEvent, FileList, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::Actions;
use crate::io::text_file;

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    pub actions: Actions,
}

fn files_of(list: Option<FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|index| list.get(index)).collect()
}

#[function_component(DropZone)]
pub fn drop_zone(props: &DropZoneProps) -> Html {
    let dragging = use_state(|| false);
    let paste_ref = use_node_ref();

    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(true);
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let dragging = dragging.clone();
        let actions = props.actions.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            actions.load_files(files_of(event.data_transfer().and_then(|dt| dt.files())));
        })
    };
    let onchange = {
        let actions = props.actions.clone();
        Callback::from(move |event: Event| {
            let Some(input) =
                event.target().and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            actions.load_files(files_of(input.files()));
            // Choosing the same file again must fire `change` again.
            input.set_value("");
        })
    };
    let onpaste_submit = {
        let actions = props.actions.clone();
        let paste_ref = paste_ref.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(area) = paste_ref.cast::<HtmlTextAreaElement>() else { return };
            let text = area.value();
            if text.trim().is_empty() {
                return;
            }
            if let Some(file) = text_file("pasted.har", &text) {
                area.set_value("");
                actions.load_files(vec![file]);
            }
        })
    };

    let class = classes!("dropzone", dragging.then_some("dragging"));
    html! {
        <div id="dropzone" {class} {ondragover} {ondragleave} {ondrop}>
            <p>{ "Drop one or more captures here (HAR or mitmproxy flow, also gzip/zlib), or " }
                <label for="picker" class="picker-label">{ "choose files" }</label>
            </p>
            <input id="picker" type="file" multiple=true aria-label="Choose capture files" {onchange} />
            <details class="paste">
                <summary>{ "…or paste HAR text" }</summary>
                <form id="paste-form" onsubmit={onpaste_submit}>
                    <label for="paste-text">{ "HAR text (as copied from the browser's network panel: \"Copy all as HAR\")" }</label>
                    <textarea id="paste-text" ref={paste_ref} rows="4" spellcheck="false" />
                    <button type="submit" id="paste-submit">{ "Analyse pasted text" }</button>
                </form>
            </details>
        </div>
    }
}
