//! Entry point Trunk builds: only starts the renderer; the app lives in the library.
#![forbid(unsafe_code)]

fn main() {
    yew::Renderer::<regauth_web::App>::new().render();
}
