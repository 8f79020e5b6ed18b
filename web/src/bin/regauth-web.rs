//! Entry point Trunk builds: only starts the renderer; the app lives in the library.

fn main() {
    yew::Renderer::<regauth_web::App>::new().render();
}
