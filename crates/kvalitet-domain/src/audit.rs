//! The kinds of change the audit trail records, named once: every event written by the store
//! or a use case is one of these, and the trail is filtered by their codes.

use crate::coded::coded_enum;
use crate::round::Step;

coded_enum!(
    /// What a recorded change did.
    AuditAction {
        UserCreate = "user.create",
        /// A new password (never the hash).
        UserPassword = "user.password",
        RoleSet = "role.set",
        InvitationCreate = "invitation.create",
        InvitationAccept = "invitation.accept",
        MeasureDefine = "measure.define",
        /// An own measure no longer offered for new values, or offered again.
        MeasureRetire = "measure.retire",
        ValuesDraft = "values.draft",
        /// One draft taken back before publishing.
        ValuesDraftRemove = "values.draft_remove",
        ValuesPublish = "values.publish",
        CommentSet = "comment.set",
        IntroductionSet = "introduction.set",
        FrameworkSave = "framework.save",
        RoundCreate = "round.create",
        RoundRename = "round.rename",
        RoundDeadline = "round.deadline",
        /// A published round reopened to be corrected, with the reason.
        RoundCorrect = "round.correct",
        /// A draft round removed with everything in it.
        RoundDelete = "round.delete",
        RoundAssessor = "round.assessor",
        RoundAnswers = "round.answers",
        RoundConsensus = "round.consensus",
        RoundDocument = "round.document",
        RoundSurvey = "round.survey",
        RoundSubmit = "round.submit",
        RoundReturn = "round.return",
        RoundReview = "round.review",
        RoundPublish = "round.publish",
        ServiceCreate = "service.create",
        ServiceSetup = "service.setup",
        ServiceContacts = "service.contacts",
        ServiceDeadline = "service.deadline",
        /// A published service round reopened to be corrected, with the reason.
        ServiceCorrect = "service.correct",
        ServiceContactEdit = "service.contact_edit",
        ServiceContactRemove = "service.contact_remove",
        ServiceSurvey = "service.survey",
        ServicePublish = "service.publish",
        /// A goal plan saved as the municipality's draft.
        GoalImport = "goal.import",
        GoalPublish = "goal.publish",
        /// A goal's official status set, with its motivation.
        GoalStatus = "goal.status",
        /// A follow-up period closed, its snapshot frozen.
        GoalPeriodClose = "goal.period_close",
        /// A survey created, its questionnaire changed, opened or closed.
        SurveyCreate = "survey.create",
        SurveyVersion = "survey.version",
        SurveyStatus = "survey.status",
        /// Personal links made, and one deleted on the person's request.
        SurveyInvite = "survey.invite",
        SurveyInvitationDelete = "survey.invitation_delete",
        /// A wave's answers weighted to the panel's population margins.
        SurveyWeights = "survey.weights",
        /// A citizen panel created, members added or leaving, margins imported, a wave sent.
        PanelCreate = "panel.create",
        PanelMembers = "panel.members",
        PanelMemberLeave = "panel.member_leave",
        PanelMargins = "panel.margins",
        PanelWave = "panel.wave",
        /// A citizen-budget round created, a project added or judged, voting opened with
        /// the lot drawn, one-time codes made, the round counted, a round imported.
        BudgetCreate = "budget.create",
        BudgetProject = "budget.project",
        BudgetFeasibility = "budget.feasibility",
        BudgetOpen = "budget.open",
        BudgetCodes = "budget.codes",
        BudgetCount = "budget.count",
        BudgetImport = "budget.import",
        /// E-förslag: the municipality's rules saved, a proposal arriving (confirmed by its
        /// proposer), moderated, reaching its threshold, decided by the nämnd.
        ProposalSettings = "proposal.settings",
        ProposalSubmit = "proposal.submit",
        ProposalModerate = "proposal.moderate",
        ProposalThreshold = "proposal.threshold",
        ProposalDecide = "proposal.decide",
        /// E-dialogues: set up, a statement moderated, the municipality's response.
        DialogueCreate = "dialogue.create",
        DialogueModerate = "dialogue.moderate",
        DialogueRespond = "dialogue.respond",
        /// A proposal, dialogue or budget round linked to a goal (or unlinked).
        GoalLink = "goal.link",
        /// A kommun's step-2 description for Sveriges Kvalitetskommun saved.
        AwardNarrative = "award.narrative",
        /// An award year's nominees set.
        AwardNominees = "award.nominees",
        /// A juror's score of a nominee on a criterion.
        AwardScore = "award.score",
        /// An award year's jury result published.
        AwardPublish = "award.publish",
        /// A year's participation figures published as measures.
        ParticipationPublish = "participation.publish",
    }
);

impl AuditAction {
    /// The event of a step in an assessment round's status flow.
    pub fn round_step(step: Step) -> Self {
        match step {
            Step::Submit => Self::RoundSubmit,
            Step::Return => Self::RoundReturn,
            Step::Review => Self::RoundReview,
            Step::Publish => Self::RoundPublish,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_distinct_code_that_reads_back() {
        let mut codes = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(codes.insert(a.code()), "{} twice", a.code());
            assert_eq!(AuditAction::parse(a.code()), Some(*a));
        }
        for a in AuditAction::ALL {
            let key = format!("audit.{}", a.code());
            for lang in [crate::words::Lang::Sv, crate::words::Lang::En] {
                assert!(!lang.t(&key).is_empty(), "no words for {key}");
            }
        }
        for step in Step::ALL {
            assert_eq!(
                AuditAction::round_step(*step).code(),
                format!("round.{}", step.code())
            );
        }
    }
}
