//! The page's end of the analysis worker: spawns it, queues requests until it says it is
//! ready, hands it `File` objects (a `File` is cloned by reference, no byte is copied), turns
//! its replies into callbacks, and terminates it on cancel (dropping the bridge).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, File, MessageEvent, Worker};
use yew::Callback;

use crate::messages::{FromWorker, ToWorker, decode, encode};

/// Trunk writes this loader for the `regauth-worker` binary (`data-type="worker"`).
const WORKER_URL: &str = "./regauth-worker_loader.js";

/// A file the worker made (an export), with its bytes as the worker transferred them.
pub struct Download {
    pub file_name: String,
    pub mime: String,
    pub bytes: js_sys::Uint8Array,
}

pub struct Bridge {
    worker: Worker,
    /// Requests posted before the worker's module runs would be lost: kept until `Ready`.
    queue: Rc<RefCell<Option<Vec<js_sys::Array>>>>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(ErrorEvent)>,
}

impl Bridge {
    /// Starts a worker. `on_reply` gets every message; `on_crash` a description when the
    /// worker dies (an internal error, or the browser refused it memory).
    pub fn spawn(
        on_reply: Callback<FromWorker>,
        on_download: Callback<Download>,
        on_crash: Callback<String>,
    ) -> Result<Bridge, String> {
        let worker = Worker::new(WORKER_URL)
            .map_err(|err| format!("the browser refused to start the analysis worker: {err:?}"))?;
        let queue: Rc<RefCell<Option<Vec<js_sys::Array>>>> =
            Rc::new(RefCell::new(Some(Vec::new())));
        let onmessage = {
            let queue = queue.clone();
            let worker = worker.clone();
            let on_crash = on_crash.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // A message is its JSON text, or [JSON text, bytes] for a download.
                let data = event.data();
                let (text, bytes) = match data.dyn_ref::<js_sys::Array>() {
                    Some(parts) => (parts.get(0).as_string(), parts.get(1).dyn_into().ok()),
                    None => (data.as_string(), None),
                };
                let Some(text) = text else { return };
                match (decode::<FromWorker>(&text), bytes) {
                    (Ok(FromWorker::Ready), _) => {
                        for message in queue.borrow_mut().take().unwrap_or_default() {
                            let _ = worker.post_message(&message);
                        }
                    }
                    (Ok(FromWorker::Export { file_name, mime }), Some(bytes)) => {
                        on_download.emit(Download { file_name, mime, bytes })
                    }
                    (Ok(reply), _) => on_reply.emit(reply),
                    (Err(message), _) => on_crash.emit(message),
                }
            })
        };
        let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            // Stop the error from also landing in the console as "uncaught": the page says it.
            event.prevent_default();
            on_crash.emit(event.message());
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        Ok(Bridge { worker, queue, _onmessage: onmessage, _onerror: onerror })
    }

    /// Posts `request` with `files` (as references: the worker reads them itself).
    pub fn send(&self, request: &ToWorker, files: &[File]) {
        let message = js_sys::Array::new();
        message.push(&JsValue::from_str(&encode(request)));
        for file in files {
            message.push(file);
        }
        let mut queue = self.queue.borrow_mut();
        match queue.as_mut() {
            Some(pending) => pending.push(message),
            None => {
                let _ = self.worker.post_message(&message);
            }
        }
    }
}

impl Drop for Bridge {
    /// Cancelling is dropping: the worker stops at once, whatever it was doing, and its memory
    /// goes with it.
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// The worker as the app uses it: spawned on first use, started afresh after a cancel (so
/// the next load does not wait for a module to compile) and after a crash.
pub struct WorkerHandle {
    bridge: RefCell<Option<Bridge>>,
    /// Set when the worker died; the next request starts a new one.
    dead: Rc<Cell<bool>>,
    on_reply: Callback<FromWorker>,
    on_download: Callback<Download>,
    on_crash: Callback<String>,
}

impl WorkerHandle {
    pub fn new(
        on_reply: Callback<FromWorker>,
        on_download: Callback<Download>,
        on_crash: Callback<String>,
    ) -> WorkerHandle {
        let dead = Rc::new(Cell::new(false));
        let on_crash = {
            let dead = dead.clone();
            Callback::from(move |message: String| {
                dead.set(true);
                on_crash.emit(message);
            })
        };
        WorkerHandle { bridge: RefCell::new(None), dead, on_reply, on_download, on_crash }
    }

    /// Spawns the worker if there is none (or it died). An error is reported as a crash.
    pub fn ensure(&self) {
        let mut bridge = self.bridge.borrow_mut();
        if self.dead.replace(false) {
            *bridge = None;
        }
        if bridge.is_none() {
            match Bridge::spawn(
                self.on_reply.clone(),
                self.on_download.clone(),
                self.on_crash.clone(),
            ) {
                Ok(spawned) => *bridge = Some(spawned),
                Err(message) => self.on_crash.emit(message),
            }
        }
    }

    pub fn send(&self, request: &ToWorker, files: &[File]) {
        self.ensure();
        if let Some(bridge) = self.bridge.borrow().as_ref() {
            bridge.send(request, files);
        }
    }

    /// Terminates the worker now (whatever it is doing) and starts a fresh one.
    pub fn restart(&self) {
        self.bridge.borrow_mut().take();
        self.ensure();
    }
}
