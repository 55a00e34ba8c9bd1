using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;

namespace Federation.Contracts.Tests;

/// <summary>One fixed instance of every contract, with every member set.</summary>
public static class ContractSamples
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 9, 30, 0, 125, TimeSpan.Zero);
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private const string Key = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    private static readonly Dictionary<string, double> Parameters = new() { ["f"] = 1 };
    private static readonly TrainingPlan Training = new(1, 32, 0.05, 42, 0.01);
    private static readonly MetricValue[] Metrics = [new("accuracy", null, 0.8125, 1600), new("loss", null, 0.5, 1600), new("accuracy", "class=Coat", 0.75, 160)];

    public static IEnumerable<object> All() =>
    [
        new RoundAnnounced(3, 2, Sha, [1, 2, 3], Training, ["factory-1", "factory-2"], At),
        new ContributionSubmitted("{\"type\":\"federation.contribution-manifest.v1\"}", "c2lnbmF0dXJl", [4, 5, 6]),
        new ContributionPayloadChunk(Sha, 10, 1, 3, 4, [4, 5, 6, 7]),
        new EvaluationReported("{\"type\":\"federation.evaluation-report.v1\"}", "c2lnbmF0dXJl"),
        new ModelPublished(3, Sha, 3, [7, 8, 9]),
        new ContributionManifest(DocumentTypes.ContributionManifest, "factory-1", Key, 3, Sha, Sha, 31488, 18000, 7, Sha, At),
        new EvaluationReport(DocumentTypes.EvaluationReport, "factory-1", Key, 3, Sha, Metrics, At),
        new RoundOpened(3, 2, Sha, "krum", Parameters, 10.0, 2, ["factory-1", "factory-2"], Training, At.AddMinutes(5), At),
        new ContributionAccepted(3, "factory-1", Key, Sha, 31488, 18000, 7, Sha, "{}", "c2lnbmF0dXJl", At),
        new ContributionRejected(3, "factory-2", Key, Sha, RejectionReason.BadSignature, "The Ed25519 signature does not verify.", "{}", "c2lnbmF0dXJl", At),
        new RoundClosed(3, RoundOutcome.DeadlinePassed, 2, 1, null, At),
        new ModelVersionPublished(3, Sha, 31488, 3, 2, "fedadam", new Dictionary<string, double> { ["eta"] = 0.1 }, Sha, [new ContributionUsed("factory-1", Key, Sha, 18000, true)], At),
        new EvaluationRecorded(3, "factory-1", Key, Metrics, "{}", "c2lnbmF0dXJl", At),
        new GatewayKeyEnrolled("factory-1", Key, "MCowBQYDK2VwAyEA", [Sha], "operator-alice", At),
        new GatewayKeyRotated("factory-1", Key, Sha, "MCowBQYDK2VwAyEA", At.AddDays(1), "operator-alice", At),
        new GatewayKeyRevoked("factory-1", Sha, "Laptop stolen", "operator-alice", At),
        new GatewayPoliciesAllowed("factory-1", [Sha, Key], "operator-alice", At),
        new EvaluationRejected(3, "factory-2", RejectionReason.InvalidMetrics, "Metric 'accuracy' is NaN.", "{}", "c2lnbmF0dXJl", At),
        new RoundAnnouncedV2("weld-photos", 3, 2, new ModelReference(Sha, 1_073_741_824), Training, ["factory-1", "factory-2"], At),
        new ModelPublishedV2("weld-photos", 3, new ModelReference(Sha, 31488), 3),
        new ModelReleased("weld-photos", 3, new ModelReference(Sha, 31488)),
        new TaskCreated("weld-photos", "Weld seam inspection from photos", Sha, 31488, ["factory-1"],
            new TaskRoundPlan("krum", Parameters, 2, 300, 10.0, Training),
            new TaskEvaluationPlan(["accuracy", "loss"], new ReleaseGate([new GateThreshold("accuracy", null, 0.85, null), new GateThreshold("accuracy", GateThreshold.EverySlice, 0.75, null, 200)], 2)),
            "operator-alice", At),
        new TaskCreatedV2("weld-photos", "Weld seam inspection from photos", Sha, 31488, ["factory-1"],
            new TaskRoundPlan("krum", Parameters, 2, 300, 10.0, Training), 12,
            new TaskEvaluationPlan(["accuracy", "loss"], new ReleaseGate([new GateThreshold("accuracy", null, 0.85, null), new GateThreshold("accuracy", GateThreshold.EverySlice, 0.75, null, 200)], 2)),
            "operator-alice", At),
        new TaskPaused("weld-photos", "Camera recalibration at factory-1", "operator-alice", At),
        new TaskResumed("weld-photos", "operator-alice", At),
        new TaskRetired("weld-photos", "Replaced by weld-photos-v2", "operator-alice", At),
        new ModelVersionReleased("weld-photos", 3, Sha, [new GateCheck("accuracy", null, 0.85, null, 0.875, 3200, true)], [new EvaluationUsed("factory-1", Key, Sha)], "operator-alice", "Slice below threshold has 40 samples; reviewed by QA", At),
        new ModelVersionHeld("weld-photos", 3, Sha, [new GateCheck("accuracy", "class=Porosity", 0.75, null, 0.70, 240, false)], [new EvaluationUsed("factory-1", Key, Sha)], At),
    ];
}
