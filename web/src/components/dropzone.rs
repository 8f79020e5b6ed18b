//! Drop zone plus file picker: hands the first file to the app.

use gloo::file::callbacks::FileReader;
use wasm_bindgen::JsCast as _;
use web_sys::{DragEvent, HtmlInputElement};
use yew::prelude::*;

use crate::io::{LoadedFile, read_file};

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    pub on_file: Callback<LoadedFile>,
    pub on_error: Callback<String>,
}

#[function_component(DropZone)]
pub fn drop_zone(props: &DropZoneProps) -> Html {
    // Held so the pending read is not cancelled; replaced by the next read.
    let pending_read = use_mut_ref(|| Option::<FileReader>::None);
    let dragging = use_state(|| false);

    let start_read = {
        let on_file = props.on_file.clone();
        let on_error = props.on_error.clone();
        let pending_read = pending_read.clone();
        move |file: web_sys::File| {
            let reader = read_file(file, on_file.clone(), on_error.clone());
            *pending_read.borrow_mut() = Some(reader);
        }
    };

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
        let start_read = start_read.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            if let Some(file) =
                event.data_transfer().and_then(|dt| dt.files()).and_then(|files| files.get(0))
            {
                start_read(file);
            }
        })
    };
    let onchange = Callback::from(move |event: Event| {
        let Some(input) =
            event.target().and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            start_read(file);
        }
    });

    let class = if *dragging { "dropzone dragging" } else { "dropzone" };
    html! {
        <div id="dropzone" {class} {ondragover} {ondragleave} {ondrop}>
            <p>{ "Drop a capture here (HAR or mitmproxy flow), or " }
                <label for="picker" class="picker-label">{ "choose a file" }</label>
            </p>
            <input id="picker" type="file" {onchange} />
        </div>
    }
}
