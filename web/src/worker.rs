//! The analysis worker's browser side: listens for requests, reads the posted `File`s in
//! slices with `FileReaderSync` (never as one string or one JS buffer), runs [`crate::pipeline`]
//! and posts the replies. The logic is in the pipeline; this is glue.
//!
//! A message from the page is a JS array: the request as JSON text, then the files.

use std::cell::RefCell;

use regauth_core::capture::Input;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, File, FileReaderSync, MessageEvent};

use crate::messages::{
    FailureKind, FromWorker, LoadFailure, Phase, Progress, ToWorker, decode, encode,
};
use crate::pipeline::{self, Workbench};
use crate::samples;

/// Files are copied into the worker's memory this many bytes at a time; each slice is one
/// progress message.
const CHUNK_BYTES: u64 = 16 << 20;

thread_local! {
    /// The loaded capture, for later requests (cards, sessions, secrets, exchanges, exports).
    static BENCH: RefCell<Option<Workbench>> = const { RefCell::new(None) };
}

/// Starts listening; called once by the worker binary's `main`.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        handle(&event.data());
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    post(&FromWorker::Ready);
}

fn post(message: &FromWorker) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // Posting a string to our own page cannot fail short of the worker being torn down.
    let _ = scope.post_message(&JsValue::from_str(&encode(message)));
}

fn handle(data: &JsValue) {
    let parts: js_sys::Array = data.clone().dyn_into().unwrap_or_default();
    let request = match parts.get(0).as_string().map(|text| decode::<ToWorker>(&text)) {
        Some(Ok(request)) => request,
        Some(Err(message)) => return post(&FromWorker::Unavailable { message }),
        None => {
            return post(&FromWorker::Unavailable { message: "empty worker message".to_owned() });
        }
    };
    match request {
        ToWorker::Load => {
            let files: Vec<File> =
                parts.iter().skip(1).filter_map(|value| value.dyn_into::<File>().ok()).collect();
            match read_files(&files) {
                Ok(inputs) => load(&inputs),
                Err(failure) => post(&FromWorker::Refused(failure)),
            }
        }
        ToWorker::LoadSample { name } => match samples::bytes(&name) {
            Some(bytes) => load(&[Input::new(name, bytes)]),
            None => {
                post(&FromWorker::Unavailable { message: format!("no bundled sample {name:?}") })
            }
        },
        ToWorker::Reveal { session } => with_bench(|bench| FromWorker::Secrets {
            session,
            tokens: bench.revealed_secrets(session),
        }),
        ToWorker::Session { index } => with_bench(|bench| match bench.analysed().session(index) {
            Some(detail) => FromWorker::Session(Box::new(detail)),
            None => FromWorker::Unavailable {
                message: format!("the capture has no session {}", index + 1),
            },
        }),
        ToWorker::Cards { filter, from } => {
            with_bench(|bench| FromWorker::Cards(bench.analysed().cards(filter, from)))
        }
        ToWorker::Exchange { index, reveal } => {
            with_bench(|bench| match bench.exchange(index, reveal) {
                Some(detail) => FromWorker::Exchange(Box::new(detail)),
                None => FromWorker::Unavailable {
                    message: format!("the capture has no exchange #{index}"),
                },
            })
        }
        ToWorker::Export { export } => {
            let made = BENCH.with_borrow(|bench| match bench {
                Some(bench) => bench.export(export),
                None => Err("no capture is loaded".to_owned()),
            });
            match made {
                Ok(export) => post_export(export),
                Err(message) => post(&FromWorker::ExportFailed { message }),
            }
        }
    }
}

/// Posts a download: the message, then its bytes as a `Uint8Array` whose buffer is
/// transferred (moved to the page, not copied).
fn post_export(export: pipeline::Export) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let message = FromWorker::Export { file_name: export.file_name, mime: export.mime };
    let bytes = js_sys::Uint8Array::from(export.bytes.as_slice());
    drop(export.bytes);
    let parts = js_sys::Array::of2(&JsValue::from_str(&encode(&message)), &bytes);
    let transfer = js_sys::Array::of1(&bytes.buffer());
    if scope.post_message_with_transfer(&parts, &transfer).is_err() {
        post(&FromWorker::ExportFailed {
            message: "the browser could not hand the file to the page".to_owned(),
        });
    }
}

fn with_bench(answer: impl FnOnce(&Workbench) -> FromWorker) {
    let reply = BENCH.with_borrow(|bench| match bench {
        Some(bench) => answer(bench),
        None => FromWorker::Unavailable { message: "no capture is loaded".to_owned() },
    });
    post(&reply);
}

fn load(inputs: &[Input]) {
    // Free the previous capture before reading the next one: memory is the scarce thing here.
    BENCH.with_borrow_mut(|bench| *bench = None);
    match pipeline::load(inputs, &mut |progress| post(&FromWorker::Progress(progress))) {
        Ok(bench) => {
            let overview = bench.analysed().overview();
            BENCH.with_borrow_mut(|slot| *slot = Some(bench));
            post(&FromWorker::Analysed(Box::new(overview)));
        }
        Err(failure) => post(&FromWorker::Refused(failure)),
    }
}

/// Copies the files into memory slice by slice, posting progress after each slice.
fn read_files(files: &[File]) -> Result<Vec<Input>, LoadFailure> {
    let sizes: Vec<(String, u64)> =
        files.iter().map(|file| (file.name(), file.size() as u64)).collect();
    if let Some(failure) =
        pipeline::too_large(sizes.iter().map(|(name, size)| (name.as_str(), *size)))
    {
        return Err(failure);
    }
    let total: u64 = sizes.iter().map(|(_, size)| size).sum();
    let unreadable = |name: &str, why: String| LoadFailure {
        sources: Vec::new(),
        kind: FailureKind::Unreadable,
        details: vec![format!("{name}: {why}")],
    };
    let reader = FileReaderSync::new()
        .map_err(|_| unreadable("(all files)", "this browser has no FileReaderSync".to_owned()))?;
    let mut inputs = Vec::with_capacity(files.len());
    let mut bytes_read = 0u64;
    for (file, (name, size)) in files.iter().zip(&sizes) {
        let mut bytes: Vec<u8> = Vec::new();
        bytes.try_reserve_exact(*size as usize).map_err(|_| {
            unreadable(
                name,
                format!(
                    "the browser could not give the analysis {} of memory",
                    regauth_core::units::human_bytes(*size)
                ),
            )
        })?;
        let mut offset = 0u64;
        while offset < *size {
            let end = (offset + CHUNK_BYTES).min(*size);
            let slice = file
                .slice_with_f64_and_f64(offset as f64, end as f64)
                .map_err(|_| unreadable(name, "cannot slice the file".to_owned()))?;
            let buffer = reader.read_as_array_buffer(&slice).map_err(|_| {
                unreadable(
                    name,
                    "the browser could not read the file (was it moved or changed?)".to_owned(),
                )
            })?;
            let array = js_sys::Uint8Array::new(&buffer);
            let start = bytes.len();
            // Never past the reserved size, even if the file grew while being read.
            let length = (array.length() as usize).min(bytes.capacity() - start);
            if length == 0 {
                break;
            }
            bytes.resize(start + length, 0);
            array.subarray(0, length as u32).copy_to(&mut bytes[start..]);
            offset += length as u64;
            bytes_read += length as u64;
            post(&FromWorker::Progress(Progress {
                phase: Phase::Reading,
                bytes_read,
                bytes_total: total,
                exchanges: None,
            }));
        }
        inputs.push(Input::new(name.clone(), bytes));
    }
    Ok(inputs)
}
