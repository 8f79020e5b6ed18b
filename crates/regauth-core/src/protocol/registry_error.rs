//! Registry error bodies (`{"errors":[{"code","message","detail"}]}`, OCI distribution spec
//! "Error Codes") and Docker Hub's rate-limit headers.

use serde_json::Value;

use crate::model::Headers;

#[derive(Clone, Debug, PartialEq)]
pub struct RegistryError {
    /// `UNAUTHORIZED`, `DENIED`, `NAME_UNKNOWN`, `TOOMANYREQUESTS`, ... (empty when absent).
    pub code: String,
    pub message: String,
    pub detail: Option<Value>,
}

/// Reads an error body. `None` when the body is not JSON or has no `errors` array; entries that
/// are not objects are skipped, and a missing `code`/`message` becomes an empty string.
pub fn parse_error_body(body: &[u8]) -> Option<Vec<RegistryError>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let entries = value.get("errors")?.as_array()?;
    let text = |entry: &Value, name: &str| match entry.get(name) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Some(
        entries
            .iter()
            .filter(|entry| entry.is_object())
            .map(|entry| RegistryError {
                code: text(entry, "code"),
                message: text(entry, "message"),
                detail: entry.get("detail").filter(|detail| !detail.is_null()).cloned(),
            })
            .collect(),
    )
}

/// Rate-limit headers as sent (Docker Hub: `ratelimit-limit: 100;w=21600`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: Option<String>,
    pub remaining: Option<String>,
    pub source: Option<String>,
    pub retry_after: Option<String>,
}

impl RateLimit {
    /// The count before `;` in `limit` (`100` in `100;w=21600`).
    pub fn limit_count(&self) -> Option<u64> {
        leading_count(self.limit.as_deref()?)
    }

    pub fn remaining_count(&self) -> Option<u64> {
        leading_count(self.remaining.as_deref()?)
    }

    /// The window in seconds (`w=21600`), from `limit` or else `remaining`.
    pub fn window_s(&self) -> Option<u64> {
        [self.limit.as_deref(), self.remaining.as_deref()].into_iter().flatten().find_map(|value| {
            value
                .split(';')
                .skip(1)
                .find_map(|part| part.trim().strip_prefix("w=")?.trim().parse().ok())
        })
    }

    /// `Retry-After` in seconds, when it is given as seconds (it may also be an HTTP date).
    pub fn retry_after_s(&self) -> Option<u64> {
        self.retry_after.as_deref()?.trim().parse().ok()
    }
}

fn leading_count(value: &str) -> Option<u64> {
    value.split(';').next()?.trim().parse().ok()
}

/// The rate-limit headers of a response, or `None` when it carries none of them.
pub fn rate_limit(headers: &Headers) -> Option<RateLimit> {
    let get = |name: &str| headers.get(name).map(|value| value.trim().to_owned());
    let rate_limit = RateLimit {
        limit: get("ratelimit-limit").or_else(|| get("x-ratelimit-limit")),
        remaining: get("ratelimit-remaining").or_else(|| get("x-ratelimit-remaining")),
        source: get("docker-ratelimit-source"),
        retry_after: get("retry-after"),
    };
    (rate_limit != RateLimit::default()).then_some(rate_limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_unauthorized_body() {
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"library/ubuntu","Action":"pull"}]}]}"#;
        let errors = parse_error_body(body).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "UNAUTHORIZED");
        assert_eq!(errors[0].message, "authentication required");
        assert_eq!(errors[0].detail.as_ref().unwrap()[0]["Name"], "library/ubuntu");
    }

    #[test]
    fn docker_hub_toomanyrequests_and_several_errors() {
        let body = br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."},{"code":"DENIED","message":"requested access to the resource is denied","detail":null}, 3]}"#;
        let errors = parse_error_body(body).unwrap();
        assert_eq!(
            errors.iter().map(|error| error.code.as_str()).collect::<Vec<_>>(),
            ["TOOMANYREQUESTS", "DENIED"]
        );
        assert_eq!(errors[1].detail, None);
    }

    #[test]
    fn not_an_error_body() {
        // hand-written fixture
        assert_eq!(parse_error_body(b"not json"), None);
        assert_eq!(parse_error_body(br#"{"details":"x"}"#), None);
        assert_eq!(parse_error_body(br#"{"errors":"x"}"#), None);
        assert_eq!(parse_error_body(br#"{"errors":[]}"#), Some(vec![]));
        let odd = parse_error_body(br#"{"errors":[{"code":42}]}"#).unwrap();
        assert_eq!((odd[0].code.as_str(), odd[0].message.as_str()), ("42", ""));
    }

    #[test]
    fn docker_hub_rate_limit_headers() {
        let headers = Headers::from(vec![
            ("RateLimit-Limit".into(), "100;w=21600".into()),
            ("ratelimit-remaining".into(), "76;w=21600".into()),
            ("docker-ratelimit-source".into(), "203.0.113.7".into()),
        ]);
        let limit = rate_limit(&headers).unwrap();
        assert_eq!(limit.limit.as_deref(), Some("100;w=21600"));
        assert_eq!(
            (limit.limit_count(), limit.remaining_count(), limit.window_s()),
            (Some(100), Some(76), Some(21600))
        );
        assert_eq!(limit.source.as_deref(), Some("203.0.113.7"));
        assert_eq!(limit.retry_after, None);
    }

    #[test]
    fn retry_after_alone_and_no_headers() {
        // hand-written fixture
        let headers = Headers::from(vec![("Retry-After".into(), " 120 ".into())]);
        let limit = rate_limit(&headers).unwrap();
        assert_eq!(limit.retry_after_s(), Some(120));
        assert_eq!(limit.window_s(), None);
        let date =
            Headers::from(vec![("Retry-After".into(), "Wed, 21 Oct 2015 07:28:00 GMT".into())]);
        assert_eq!(rate_limit(&date).unwrap().retry_after_s(), None);
        assert_eq!(rate_limit(&Headers::from(vec![("content-type".into(), "x".into())])), None);
    }
}
