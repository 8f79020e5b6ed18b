pub mod analysis;
pub mod diagram;
pub mod dropzone;
pub mod error;
pub mod findings;
pub mod gallery;
pub mod tokens;
