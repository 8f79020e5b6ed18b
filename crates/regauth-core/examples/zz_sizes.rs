#![allow(clippy::print_stdout)]
fn main() {
    use std::mem::size_of;
    println!("TokenRecord {}", size_of::<regauth_core::analysis::TokenRecord>());
    println!("Session {}", size_of::<regauth_core::analysis::Session>());
    println!("Finding {}", size_of::<regauth_core::analysis::Finding>());
    println!("DecodedToken {}", size_of::<regauth_core::token::DecodedToken>());
    println!("Exchange {}", size_of::<regauth_core::model::Exchange>());
    println!("TokenRequest {}", size_of::<regauth_core::protocol::TokenRequest>());
    println!("TokenResponse {}", size_of::<regauth_core::protocol::TokenResponse>());
    println!("Role {}", size_of::<regauth_core::analysis::classify::Role>());
}
