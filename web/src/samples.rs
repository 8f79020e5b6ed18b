//! Real recordings from `samples/`, compiled in so the gallery works offline with no fetch
//! (the Content-Security-Policy would refuse one anyway). Chosen to be small (≈230 KiB raw,
//! ≈45 KiB gzipped in total) and to cover one case per failing step plus two successes.

pub struct Sample {
    pub name: &'static str,
    pub description: &'static str,
    pub bytes: &'static [u8],
}

pub const SAMPLES: &[Sample] = &[
    Sample {
        name: "pull-success.flow",
        description: "skopeo pulls a private image with a token: all six steps succeed",
        bytes: include_bytes!("../../samples/pull-success.flow"),
    },
    Sample {
        name: "wrong-password.har",
        description: "skopeo pull with a wrong password: the token service refuses at step 4",
        bytes: include_bytes!("../../samples/wrong-password.har"),
    },
    Sample {
        name: "clock-ahead.flow",
        description: "token service clock 2 h ahead: the registry refuses a not-yet-valid token at step 6",
        bytes: include_bytes!("../../samples/clock-ahead.flow"),
    },
    Sample {
        name: "push-insufficient-scope.flow",
        description: "a read-only user pushes: the token grants pull only, refused at step 6",
        bytes: include_bytes!("../../samples/push-insufficient-scope.flow"),
    },
    Sample {
        name: "token-expired-mid-push-recovered.flow",
        description: "a 5 s token expires during slow uploads; the client fetches a new one and succeeds",
        bytes: include_bytes!("../../samples/token-expired-mid-push-recovered.flow"),
    },
    Sample {
        name: "basic-plain-http.har",
        description: "Basic auth over plain HTTP: it works, but the password crosses the wire readable",
        bytes: include_bytes!("../../samples/basic-plain-http.har"),
    },
];

/// The bundled sample called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|sample| sample.name == name)
}
