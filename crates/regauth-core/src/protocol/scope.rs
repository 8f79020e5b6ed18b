//! Resource scopes as in distribution's `docs/spec/auth/scope.md`.
//!
//! ```text
//! scope        := resourcetype ':' resourcename ':' action [ ',' action ]*
//! resourcetype := resourcetypevalue [ '(' resourcetypevalue ')' ]
//! resourcename := [ hostname '/' ] component [ '/' component ]*
//! ```
//!
//! A resource name may contain `:` only in its `host:port/` prefix, so a scope is split from both
//! ends: the type ends at the first `:` and the actions start after the last one.

use std::fmt;

/// One scope, e.g. `repository:library/ubuntu:pull,push` or `repository(plugin):vieux/sshfs:pull`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    /// `repository`, `registry`, ...
    pub resource_type: String,
    /// The optional class in parentheses after the type (`plugin` in `repository(plugin)`).
    pub resource_class: Option<String>,
    /// `library/ubuntu`, `localhost:5000/team/app`, `catalog`, ...
    pub name: String,
    /// As written (order kept, duplicates and empty actions removed).
    pub actions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    #[error("scope {scope:?} has no ':' (expected type:name:actions)")]
    MissingSeparator { scope: String },
    #[error("scope {scope:?} has an empty resource type")]
    EmptyType { scope: String },
    #[error("scope {scope:?} has an empty resource name")]
    EmptyName { scope: String },
    #[error("scope {scope:?} has a malformed resource class (expected type(class))")]
    MalformedClass { scope: String },
    #[error("scope {scope:?} has invalid characters in resource type {resource_type:?}")]
    InvalidType { scope: String, resource_type: String },
}

impl Scope {
    pub fn new(resource_type: &str, name: &str, actions: &[&str]) -> Scope {
        Scope {
            resource_type: resource_type.to_owned(),
            resource_class: None,
            name: name.to_owned(),
            actions: actions.iter().map(|action| (*action).to_owned()).collect(),
        }
    }

    /// Whether this scope grants everything `other` asks for: same type, class and name, and
    /// every action of `other` is among ours (`*` grants every action). Action order does not
    /// matter.
    pub fn covers(&self, other: &Scope) -> bool {
        if self.resource_type != other.resource_type
            || self.resource_class != other.resource_class
            || self.name != other.name
        {
            return false;
        }
        if self.has_action("*") {
            return true;
        }
        other.actions.iter().all(|action| self.has_action(action))
    }

    pub fn has_action(&self, action: &str) -> bool {
        self.actions.iter().any(|own| own == action)
    }

    /// The actions of `other` (same resource) that this scope does not grant.
    pub fn missing_actions<'a>(&self, other: &'a Scope) -> Vec<&'a str> {
        if self.has_action("*") {
            return Vec::new();
        }
        other.actions.iter().filter(|action| !self.has_action(action)).map(String::as_str).collect()
    }

    /// Whether both scopes name the same resource (type, class and name), whatever the actions.
    pub fn same_resource(&self, other: &Scope) -> bool {
        self.resource_type == other.resource_type
            && self.resource_class == other.resource_class
            && self.name == other.name
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource_type)?;
        if let Some(class) = &self.resource_class {
            write!(f, "({class})")?;
        }
        write!(f, ":{}:{}", self.name, self.actions.join(","))
    }
}

/// Parses one scope string. Surrounding whitespace is ignored.
pub fn parse_scope(input: &str) -> Result<Scope, ScopeError> {
    let scope = input.trim();
    let error_scope = || scope.to_owned();
    let (type_part, rest) = scope
        .split_once(':')
        .ok_or_else(|| ScopeError::MissingSeparator { scope: error_scope() })?;
    let (name, actions_part) = rest
        .rsplit_once(':')
        .ok_or_else(|| ScopeError::MissingSeparator { scope: error_scope() })?;

    let (resource_type, resource_class) = match type_part.split_once('(') {
        None => (type_part, None),
        Some((resource_type, class_rest)) => match class_rest.strip_suffix(')') {
            Some(class) if !class.is_empty() && !class.contains(['(', ')']) => {
                (resource_type, Some(class.to_owned()))
            }
            _ => return Err(ScopeError::MalformedClass { scope: error_scope() }),
        },
    };
    if resource_type.is_empty() {
        return Err(ScopeError::EmptyType { scope: error_scope() });
    }
    let is_type_char = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-');
    if !resource_type.chars().all(is_type_char) {
        return Err(ScopeError::InvalidType {
            scope: error_scope(),
            resource_type: resource_type.to_owned(),
        });
    }
    if name.is_empty() {
        return Err(ScopeError::EmptyName { scope: error_scope() });
    }

    let mut actions: Vec<String> = Vec::new();
    for action in actions_part.split(',').map(str::trim).filter(|action| !action.is_empty()) {
        if !actions.iter().any(|seen| seen == action) {
            actions.push(action.to_owned());
        }
    }
    Ok(Scope {
        resource_type: resource_type.to_owned(),
        resource_class,
        name: name.to_owned(),
        actions,
    })
}

/// Parses a space-separated list of scopes (as in a challenge's `scope` parameter or an OAuth2
/// form's `scope` field). Good scopes are kept even when others fail.
pub fn parse_scope_list(input: &str) -> (Vec<Scope>, Vec<ScopeError>) {
    let mut scopes = Vec::new();
    let mut errors = Vec::new();
    for part in input.split_ascii_whitespace() {
        match parse_scope(part) {
            Ok(scope) => scopes.push(scope),
            Err(error) => errors.push(error),
        }
    }
    (scopes, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(input: &str) -> Scope {
        parse_scope(input).unwrap()
    }

    #[test]
    fn spec_examples() {
        // From distribution docs/spec/auth/scope.md.
        let ubuntu = scope("repository:samalba/my-app:pull,push");
        assert_eq!(ubuntu.resource_type, "repository");
        assert_eq!(ubuntu.resource_class, None);
        assert_eq!(ubuntu.name, "samalba/my-app");
        assert_eq!(ubuntu.actions, ["pull", "push"]);

        let plugin = scope("repository(plugin):vieux/sshfs:pull");
        assert_eq!(plugin.resource_type, "repository");
        assert_eq!(plugin.resource_class.as_deref(), Some("plugin"));
        assert_eq!(plugin.name, "vieux/sshfs");

        let catalog = scope("registry:catalog:*");
        assert_eq!(catalog.resource_type, "registry");
        assert_eq!(catalog.name, "catalog");
        assert_eq!(catalog.actions, ["*"]);
    }

    #[test]
    fn name_with_host_and_port_is_split_from_both_ends() {
        let with_port = scope("repository:localhost:5000/team/app:pull");
        assert_eq!(with_port.name, "localhost:5000/team/app");
        assert_eq!(with_port.actions, ["pull"]);
        assert_eq!(with_port.to_string(), "repository:localhost:5000/team/app:pull");
    }

    #[test]
    fn display_round_trips() {
        for input in [
            "repository:library/ubuntu:pull",
            "repository:samalba/my-app:pull,push",
            "repository(plugin):vieux/sshfs:pull",
            "registry:catalog:*",
            "repository:library/ubuntu:",
        ] {
            assert_eq!(scope(input).to_string(), input);
        }
    }

    #[test]
    fn empty_actions_and_duplicates_are_dropped() {
        // hand-written fixture
        assert_eq!(scope("repository:a/b:pull,,push,pull").actions, ["pull", "push"]);
        assert!(scope("repository:a/b:").actions.is_empty());
    }

    #[test]
    fn covers_ignores_action_order_and_honours_star() {
        let granted = scope("repository:library/ubuntu:push,pull");
        assert!(granted.covers(&scope("repository:library/ubuntu:pull,push")));
        assert!(granted.covers(&scope("repository:library/ubuntu:pull")));
        assert!(!granted.covers(&scope("repository:library/ubuntu:delete")));
        assert!(!granted.covers(&scope("repository:library/debian:pull")));
        assert!(!scope("repository:library/ubuntu:pull").covers(&granted));
        assert_eq!(scope("repository:library/ubuntu:pull").missing_actions(&granted), ["push"]);

        let star = scope("repository:library/ubuntu:*");
        assert!(star.covers(&granted));
        assert!(star.missing_actions(&granted).is_empty());
        assert!(!star.covers(&scope("registry:catalog:*")));
        assert!(scope("registry:catalog:*").covers(&scope("registry:catalog:*")));
        assert!(
            !scope("repository(plugin):vieux/sshfs:pull")
                .covers(&scope("repository:vieux/sshfs:pull"))
        );
    }

    #[test]
    fn errors() {
        // hand-written fixture
        assert!(matches!(parse_scope("repository"), Err(ScopeError::MissingSeparator { .. })));
        assert!(matches!(parse_scope("repository:name"), Err(ScopeError::MissingSeparator { .. })));
        assert!(matches!(parse_scope(":name:pull"), Err(ScopeError::EmptyType { .. })));
        assert!(matches!(parse_scope("repository::pull"), Err(ScopeError::EmptyName { .. })));
        assert!(matches!(
            parse_scope("repository(plugin:a:pull"),
            Err(ScopeError::MalformedClass { .. })
        ));
        assert!(matches!(
            parse_scope("repository():a:pull"),
            Err(ScopeError::MalformedClass { .. })
        ));
        assert!(matches!(parse_scope("repo sitory:a:pull"), Err(ScopeError::InvalidType { .. })));
        assert_eq!(
            parse_scope("repository").unwrap_err().to_string(),
            "scope \"repository\" has no ':' (expected type:name:actions)"
        );
    }

    #[test]
    fn list_keeps_good_scopes_and_reports_bad_ones() {
        // hand-written fixture
        let (scopes, errors) = parse_scope_list(
            "repository:a/b:pull  garbage\trepository:c/d:pull,push registry:catalog:*",
        );
        assert_eq!(
            scopes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["repository:a/b:pull", "repository:c/d:pull,push", "registry:catalog:*"]
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(parse_scope_list(""), (vec![], vec![]));
    }
}
