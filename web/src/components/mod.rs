pub mod dropzone;
