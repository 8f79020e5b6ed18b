//! Browser I/O on the page: downloads, the URL fragment, and pasted text turned into a `File`.
//! (Files are read by the worker, never here.)

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

/// Offers `bytes` as a download called `file_name`: a `blob:` URL clicked through a
/// temporary link, so nothing goes over the network.
pub fn download(file_name: &str, mime: &str, bytes: &js_sys::Uint8Array) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else { return };
    let parts = js_sys::Array::of1(bytes);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(link) = document.create_element("a")
        && let Ok(link) = link.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        link.set_href(&url);
        link.set_download(file_name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Pasted text as a `File`, so it takes the same road to the worker as a chosen file.
pub fn text_file(name: &str, text: &str) -> Option<web_sys::File> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::FilePropertyBag::new();
    options.set_type("application/json");
    web_sys::File::new_with_str_sequence_and_options(&parts, name, &options).ok()
}

pub fn location_hash() -> String {
    web_sys::window().and_then(|window| window.location().hash().ok()).unwrap_or_default()
}

/// Replaces the fragment without a history entry (and without a `hashchange` event).
pub fn set_location_hash(fragment: &str) {
    let Some(window) = web_sys::window() else { return };
    if location_hash() == fragment {
        return;
    }
    let location = window.location();
    let url = format!(
        "{}{}{fragment}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// Keeps a `hashchange` listener alive until dropped.
pub struct HashListener(Option<Closure<dyn FnMut()>>);

impl Drop for HashListener {
    fn drop(&mut self) {
        if let (Some(window), Some(closure)) = (web_sys::window(), self.0.take()) {
            let _ = window.remove_event_listener_with_callback(
                "hashchange",
                closure.as_ref().unchecked_ref(),
            );
        }
    }
}

pub fn on_hash_change(handler: impl FnMut() + 'static) -> HashListener {
    let closure = Closure::<dyn FnMut()>::new(handler);
    if let Some(window) = web_sys::window() {
        let _ =
            window.add_event_listener_with_callback("hashchange", closure.as_ref().unchecked_ref());
    }
    HashListener(Some(closure))
}

/// Runs `work` in a later task (`setTimeout(0)`), so what was rendered so far paints first.
pub fn next_task(work: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return work() };
    let callback = Closure::once_into_js(work);
    let _ =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), 0);
}
