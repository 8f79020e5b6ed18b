//! Browser file I/O: the only module that touches the File API.

use gloo::file::callbacks::FileReader;

pub struct LoadedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Starts reading `file`; keep the returned reader alive until the callback ran, since
/// dropping it cancels the read.
pub fn read_file(
    file: web_sys::File,
    on_loaded: yew::Callback<LoadedFile>,
    on_error: yew::Callback<String>,
) -> FileReader {
    let file = gloo::file::File::from(file);
    let name = file.name();
    gloo::file::callbacks::read_as_bytes(&file, move |result| match result {
        Ok(bytes) => on_loaded.emit(LoadedFile { name, bytes }),
        Err(err) => on_error.emit(format!("{name}: {err}")),
    })
}
