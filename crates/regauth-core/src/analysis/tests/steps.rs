//! What the shells draw without re-deriving it: each step's status, which steps a scheme has,
//! the finding that explains the failing step, and the session title. Hand-written fixtures.

use super::builder::{Analysed, Jwt, Scenario, unix};
use super::scenarios::six_step_pull;
use crate::analysis::{Code, Severity, StepStatus};
use crate::report::analysis::{AnalysisReport, Secrets};

const REG: &str = "https://reg.example";
const CHALLENGE: &str = r#"Bearer realm="https://auth.example/token",service="reg.example""#;
const TOKEN_URL: &str =
    "https://auth.example/token?service=reg.example&scope=repository:team/app:pull";

fn statuses(analysed: &Analysed, session: usize) -> Vec<&'static str> {
    let report = report(analysed);
    report.sessions[session].steps.iter().map(|row| row.status.as_str()).collect()
}

fn report(analysed: &Analysed) -> AnalysisReport {
    AnalysisReport::new(&analysed.capture, &analysed.analysis, Secrets::Masked)
}

#[test]
fn a_complete_pull_has_every_step_done_and_nothing_to_explain() {
    let analysed = six_step_pull().analyze();
    assert_eq!(statuses(&analysed, 0), ["done"; 6]);
    let report = report(&analysed);
    let session = &report.sessions[0];
    assert_eq!(session.title, "reg.example/team/app");
    assert_eq!(session.failed_finding, None);
    assert!(session.steps.iter().all(|row| row.in_scheme));
    assert_eq!(
        session.steps.iter().map(|row| row.title.as_str()).collect::<Vec<_>>()[2],
        "client asks the token service"
    );
}

#[test]
fn a_refused_password_marks_step_4_and_points_at_bad_credentials() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(TOKEN_URL)
        .basic("alice", "wrong")
        .answer(401)
        .analyze();
    assert_eq!(
        statuses(&analysed, 0),
        ["done", "done", "done", "failed", "not-reached", "not-reached"]
    );
    let report = report(&analysed);
    let reference = report.sessions[0].failed_finding.as_ref().expect("an explanation");
    assert_eq!(reference.code, Code::BadCredentials);
    let finding = &report.findings[reference.index];
    assert_eq!(
        (finding.code, finding.severity, finding.step),
        (Code::BadCredentials, Severity::Error, Some(4))
    );
    // The ping joins the session of the token request that follows it, named by its scope.
    assert_eq!(report.sessions[0].title, "reg.example/team/app");
}

#[test]
fn a_basic_auth_registry_skips_the_token_service() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(r#"Basic realm="Registry Realm""#)
        .get(&format!("{REG}/v2/"))
        .basic("alice", "right")
        .answer(200)
        .analyze();
    assert_eq!(statuses(&analysed, 0), ["done", "done", "skipped", "skipped", "done", "done"]);
    let report = report(&analysed);
    let in_scheme: Vec<bool> = report.sessions[0].steps.iter().map(|row| row.in_scheme).collect();
    assert_eq!(in_scheme, [true, true, false, false, true, true]);
    assert_eq!(report.sessions[0].title, "reg.example (registry)");
}

#[test]
fn credentials_sent_up_front_leave_the_earlier_steps_not_seen() {
    let token = Jwt::new("reg.example", unix(0.0), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .analyze();
    assert_eq!(
        statuses(&analysed, 0),
        ["not-seen", "not-seen", "not-seen", "not-seen", "done", "done"]
    );
}

#[test]
fn a_session_that_stops_after_the_challenge_has_later_steps_not_reached() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .analyze();
    assert_eq!(
        statuses(&analysed, 0),
        ["done", "done", "not-reached", "not-reached", "not-reached", "not-reached"]
    );
    assert_eq!(
        analysed.analysis.sessions[0].step_status(crate::analysis::Step::TokenRequest),
        StepStatus::NotReached
    );
    assert_eq!(report(&analysed).sessions[0].failed_finding, None);
}

#[test]
fn a_step_list_groups_records_by_step_keeping_their_order_within_a_step() {
    use crate::analysis::{Step, StepList, StepRecord};
    let records = [
        (Step::TryRegistry, 0),
        (Step::Challenge, 0),
        (Step::TokenRequest, 1),
        (Step::AuthorizedRetry, 4),
        (Step::TryRegistry, 3),
        (Step::AuthorizedRetry, 2),
        (Step::RegistryVerdict, 2),
        (Step::RegistryVerdict, usize::MAX >> 8),
    ]
    .map(|(step, exchange)| StepRecord::new(step, exchange));
    let mut list = StepList::from_records(&records);
    let groups: Vec<(u8, Vec<usize>)> =
        list.iter().map(|entry| (entry.step.number(), entry.exchanges.to_vec())).collect();
    assert_eq!(
        groups,
        [
            (1, vec![0, 3]),
            (2, vec![0]),
            (3, vec![1]),
            (4, vec![]),
            (5, vec![4, 2]),
            (6, vec![2, usize::MAX >> 8])
        ]
    );
    list.of_mut(Step::AuthorizedRetry).rotate_right(1);
    assert_eq!(list.of(Step::AuthorizedRetry), [2, 4]);
    assert_eq!(
        list.of(Step::RegistryVerdict),
        [2, usize::MAX >> 8],
        "reordering a step leaves the next alone"
    );
    assert!(StepList::default().iter().all(|entry| entry.exchanges.is_empty()));
}
