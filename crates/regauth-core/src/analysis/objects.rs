//! What each request acts on, and when its answer counts: a failure is recovered only when a
//! later request for the same object succeeded (issue 8, item 2), and a Docker Engine call's
//! verdict counts when the daemon answered, after the registry legs it relayed.
//!
//! An object is a method class (read, write, delete) and a URL, with the blob upload protocol
//! folded so that every way of writing one blob is one object: `POST .../uploads/?digest=D`,
//! `POST .../uploads/?mount=D&from=...`, `PUT .../uploads/<id>?digest=D`, and the `PATCH`es of
//! that upload all write blob `D`, so re-uploading a refused blob through a new upload session
//! is a retry of the same thing. A token request's object is its realm, whatever the method
//! (containerd's POST, then GET); an Engine API call's is its path and query.

use std::collections::HashMap;

use sha2::Digest as _;

use super::ExchangeMap;
use super::classify::{Role, url_base};
use super::verdict::Verdict;
use crate::model::Exchange;
use crate::protocol::EngineApiCall;

/// The largest upload body hashed to learn which blob a refused upload carried (only for
/// refused uploads whose URLs never name the digest).
const HASHED_UPLOAD_LIMIT: usize = 256 << 20;

/// When each exchange's answer is known and what it acts on, for the whole capture.
pub struct Timeline {
    /// Per exchange, the object it acts on (`None`: not part of a session's verdict). Boxed
    /// at its exact length: one per exchange, held until the sessions are built (issue 9).
    pub objects: Vec<Option<Box<str>>>,
    /// Per exchange, seconds on the capture clock at which its verdict counts: the request's
    /// start, or for a Docker Engine pull, push or login the daemon's answer (it relays the
    /// registry legs that ran in between). Exchanges without timestamps take their
    /// predecessor's, so the order stays that of the capture.
    pub decided_at: Vec<f64>,
}

impl Timeline {
    /// Keeps only what the sessions' findings read once the sessions are made: the objects
    /// of failed exchanges (to tell a failure that retries an earlier one). The rest, a
    /// string and a time per exchange, is given back before the findings are made (issue 9:
    /// a hundred thousand sessions).
    pub fn keep_for_findings(&mut self, verdicts: &ExchangeMap<Verdict>) {
        self.decided_at = Vec::new();
        for (idx, object) in self.objects.iter_mut().enumerate() {
            if !matches!(verdicts.get(&idx), Some(Verdict::Fail { .. })) {
                *object = None;
            }
        }
    }
}

pub fn timeline(
    exchanges: &[Exchange],
    roles: &[Role],
    verdicts: &ExchangeMap<Verdict>,
) -> Timeline {
    let upload_digests = upload_digests(exchanges, roles);
    let objects = exchanges
        .iter()
        .zip(roles)
        .map(|(exchange, role)| {
            object_of(exchange, role, &upload_digests, verdicts).map(String::into_boxed_str)
        })
        .collect();
    let mut decided_at = Vec::with_capacity(exchanges.len());
    let mut previous = f64::MIN;
    for (exchange, role) in exchanges.iter().zip(roles) {
        let started = exchange.timing.request_start.map(seconds).unwrap_or(previous);
        previous = started;
        let at = match role {
            Role::EngineApi { call } if !matches!(call, EngineApiCall::Ping { .. }) => {
                exchange.timing.response_end.map(seconds).unwrap_or(started).max(started)
            }
            _ => started,
        };
        decided_at.push(at);
    }
    Timeline { objects, decided_at }
}

fn seconds(at: crate::model::Timestamp) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

/// For each upload session path (`/v2/<name>/blobs/uploads/<id>`), the digest one of its
/// requests names (`?digest=` on the final `PUT`).
fn upload_digests<'a>(exchanges: &'a [Exchange], roles: &[Role]) -> HashMap<&'a str, String> {
    let mut digests = HashMap::new();
    for (exchange, role) in exchanges.iter().zip(roles) {
        if !matches!(role, Role::Registry { .. }) {
            continue;
        }
        let path = exchange.request.path_only();
        if upload_session(path).is_some()
            && let Some(digest) = query_value(&exchange.request.path, "digest")
        {
            digests.entry(path).or_insert(digest);
        }
    }
    digests
}

fn object_of(
    exchange: &Exchange,
    role: &Role,
    upload_digests: &HashMap<&str, String>,
    verdicts: &ExchangeMap<Verdict>,
) -> Option<String> {
    let request = &exchange.request;
    match role {
        Role::Registry { authority, .. } => {
            let method = request.method.to_ascii_uppercase();
            let class = match method.as_str() {
                "GET" | "HEAD" => "read",
                "PUT" | "POST" | "PATCH" => "write",
                "DELETE" => "delete",
                other => other,
            };
            let path = request.path_only();
            // The scheme counts: a plain-HTTP request does not recover a failed HTTPS one (the
            // client falling back is an HTTPS-first probe, judged apart).
            let scheme = request.scheme.to_ascii_lowercase();
            Some(match blob_written(exchange, upload_digests, verdicts) {
                // `/v2/<name>/blobs/<digest>`, as a HEAD or GET of that blob would name it.
                Some((repository_path, digest)) => {
                    format!("write {scheme}://{authority}{repository_path}/blobs/{digest}")
                }
                None => format!("{class} {scheme}://{authority}{path}"),
            })
        }
        Role::Token { .. } => Some(format!("token {}", url_base(&request.url()))),
        Role::EngineApi { call } if !matches!(call, EngineApiCall::Ping { .. }) => {
            Some(format!("engine {} {}", request.method.to_ascii_uppercase(), request.path))
        }
        _ => None,
    }
}

/// For a request of the blob upload protocol, (`/v2/<name>`, the digest it writes): from
/// `?digest=` or `?mount=`, from another request of the same upload session, or, for a refused
/// upload that never names it, the SHA-256 of the body it carried (a whole blob sent in one
/// request, as docker, containerd and skopeo do).
fn blob_written<'a>(
    exchange: &'a Exchange,
    upload_digests: &HashMap<&str, String>,
    verdicts: &ExchangeMap<Verdict>,
) -> Option<(&'a str, String)> {
    let request = &exchange.request;
    let path = request.path_only();
    let repository_path = &path[..path.rfind("/blobs/uploads")?];
    if !matches!(request.method.to_ascii_uppercase().as_str(), "POST" | "PUT" | "PATCH") {
        return None;
    }
    let named =
        query_value(&request.path, "digest").or_else(|| query_value(&request.path, "mount"));
    let digest = match named {
        Some(digest) => digest,
        None if upload_session(path).is_some() => match upload_digests.get(path) {
            Some(digest) => digest.clone(),
            None if matches!(verdicts.get(&exchange.index), Some(Verdict::Fail { .. })) => {
                body_digest(exchange)?
            }
            None => return None,
        },
        None => return None,
    };
    Some((repository_path, digest))
}

/// `Some(id)` for `/v2/<name>/blobs/uploads/<id>`.
fn upload_session(path: &str) -> Option<&str> {
    let (_, id) = path.rsplit_once("/blobs/uploads/")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

fn query_value(path_and_query: &str, name: &str) -> Option<String> {
    let (_, query) = path_and_query.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

/// `sha256:<hex>` of a request body held whole in the capture.
fn body_digest(exchange: &Exchange) -> Option<String> {
    let body = exchange.request.body.decoded_prefix(HASHED_UPLOAD_LIMIT).ok()?;
    if !body.complete || body.bytes.is_empty() {
        return None;
    }
    let hash = sha2::Sha256::digest(&body.bytes);
    Some(format!("sha256:{}", hash.iter().map(|byte| format!("{byte:02x}")).collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::{Timeline, Verdict};
    use crate::analysis::verdict::FailCause;
    use crate::analysis::{ExchangeMap, Step};

    #[test]
    fn only_failed_exchanges_keep_their_object_for_the_findings() {
        let mut timeline = Timeline {
            objects: ["manifest a:1", "manifest a:1", "blob sha256:b"]
                .into_iter()
                .map(|object| Some(object.into()))
                .collect(),
            decided_at: vec![1.0, 2.0, 3.0],
        };
        let mut verdicts = ExchangeMap::with_exchanges(3);
        verdicts
            .insert(0, Verdict::Fail { step: Step::RegistryVerdict, cause: FailCause::Forbidden });
        verdicts.insert(1, Verdict::Ok);
        timeline.keep_for_findings(&verdicts);
        assert_eq!(timeline.objects, [Some("manifest a:1".into()), None, None]);
        assert!(timeline.decided_at.is_empty());
    }
}
