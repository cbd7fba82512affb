//! What waits for a person ("Att göra"), the staff start page: drafts to publish in their
//! municipalities, assessment rounds to answer, agree, submit, review or publish (with the
//! progress of each assessor), and service rounds with planned tests to register (with the
//! progress of the plan). Each task is found with the same rules that allow the step itself.

use std::collections::BTreeSet;

use serde::Serialize;

use kvalitet_domain::round::{self, Status, Step};
use kvalitet_domain::{Action, Grants, MunicipalityId, UserId};

use crate::assessments::{self as a, AssessError};
use crate::ports::{
    AssessmentRounds, OwnData, RoundFilter, RoundRecord, ServiceRoundRecord, ServiceRounds,
};
use crate::service;

/// Everything waiting for one person, in the order the page shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Todo {
    /// Municipalities with drafts not yet published, and how many.
    pub drafts: Vec<DraftsWaiting>,
    pub rounds: Vec<RoundTask>,
    pub service: Vec<ServiceTask>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftsWaiting {
    pub municipality: MunicipalityId,
    pub drafts: usize,
    /// The person may publish them (else an administrator must).
    pub may_publish: bool,
}

/// An assessment round with the steps the person may take now and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct RoundTask {
    pub round: RoundRecord,
    /// The person may still give their own answers.
    pub answer: bool,
    /// The steps (submit, review, return, publish) the person may take now.
    pub steps: Vec<Step>,
    pub questions: usize,
    /// Each assessor's name and how many questions they answered.
    pub progress: Vec<(String, usize)>,
    /// Questions with an agreed answer.
    pub agreed: usize,
}

/// A service round the person tests in or runs, unpublished.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceTask {
    pub round: ServiceRoundRecord,
    /// The person's own planned tests not registered yet, and those planned for today.
    pub mine: usize,
    pub mine_today: usize,
    /// The whole plan and how much of it is registered (for those who run the round).
    pub planned: usize,
    pub registered: usize,
    pub manages: bool,
    /// The first and last day of the plan's tests (ISO dates), for the year at a glance.
    pub tests_from: Option<String>,
    pub tests_to: Option<String>,
}

/// What waits for the person with `grants` (`user`, `email`) on `today` (an ISO date in
/// Swedish time).
pub async fn todo(
    store: &(impl AssessmentRounds + ServiceRounds + OwnData),
    grants: &Grants,
    user: UserId,
    email: &str,
    today: &str,
) -> Result<Todo, AssessError> {
    let mut todo = Todo::default();
    for (m, _) in &grants.roles {
        if !grants.allows(Action::ViewDrafts, m) {
            continue;
        }
        let drafts = store.drafts(m).await?.len();
        if drafts > 0 {
            todo.drafts.push(DraftsWaiting {
                municipality: *m,
                drafts,
                may_publish: grants.allows(Action::Publish, m),
            });
        }
    }

    // Rounds the person takes part in, and unpublished rounds they oversee.
    let mut rounds = store
        .rounds(&RoundFilter {
            assessor: Some(user),
            ..RoundFilter::default()
        })
        .await?;
    for status in [Status::Draft, Status::Submitted, Status::Reviewed] {
        for r in store
            .rounds(&RoundFilter {
                status: Some(status),
                ..RoundFilter::default()
            })
            .await?
        {
            // Drafts are their own municipality's work; a national coordinator's part
            // starts at review.
            let own = grants.role_in(&r.municipality).is_some();
            if grants.allows(Action::Publish, &r.municipality) && (own || status != Status::Draft) {
                rounds.push(r);
            }
        }
    }
    let mut seen = BTreeSet::new();
    rounds.retain(|r| r.status != Status::Published && seen.insert(r.id));
    for r in rounds {
        let who = a::standing(grants, user, &r);
        let steps: Vec<Step> = Step::ALL
            .iter()
            .copied()
            .filter(|s| s.take(r.status, &who, r.submitted_by).is_ok())
            .collect();
        let answer = round::may_answer(r.status, &who).is_ok();
        let f = a::framework(store, &r.framework_id, &r.framework_version).await?;
        let content = store.round_content(r.id).await?;
        let progress = r
            .assessors
            .iter()
            .map(|x| {
                let answered = content
                    .answers
                    .iter()
                    .filter(|y| y.user == x.user && y.answer.is_some())
                    .count();
                (x.name.clone(), answered)
            })
            .collect();
        todo.rounds.push(RoundTask {
            questions: f.questions().count(),
            agreed: content.consensus.len(),
            progress,
            answer,
            steps,
            round: r,
        });
    }
    // Rounds where the person has something to do first.
    todo.rounds
        .sort_by_key(|t| (t.steps.is_empty() && !t.answer, t.round.id));

    for (r, manages) in service::rounds_for(store, grants, email).await? {
        if r.published {
            continue;
        }
        let content = store.service_content(r.id).await?;
        let done = |p: &crate::ports::PlanRow| service::is_registered(p, &content.contacts);
        let mine: Vec<_> = content
            .plan
            .iter()
            .filter(|p| p.tester.eq_ignore_ascii_case(email) && !done(p))
            .collect();
        todo.service.push(ServiceTask {
            tests_from: content.plan.iter().map(|p| p.planned_on.clone()).min(),
            tests_to: content.plan.iter().map(|p| p.planned_on.clone()).max(),
            mine: mine.len(),
            mine_today: mine.iter().filter(|p| p.planned_on == today).count(),
            planned: content.plan.len(),
            registered: content.plan.iter().filter(|p| done(p)).count(),
            manages,
            round: r,
        });
    }
    todo.service
        .sort_by_key(|t| (t.mine_today == 0, t.mine == 0, t.round.id));
    Ok(todo)
}
