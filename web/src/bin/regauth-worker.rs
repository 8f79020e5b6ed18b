//! The analysis worker Trunk builds (`data-type="worker"`): reads, analyses and reports off
//! the page's main thread. The work is in the library (`worker.rs`, `pipeline.rs`).
#![forbid(unsafe_code)]

fn main() {
    regauth_web::worker::start();
}
