using System.Security.Cryptography;
using System.Text;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts.Tasks;
using Federation.Learning.Models;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;
using Federation.Policies;
using Federation.Site.Outbox;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Trust;

namespace Federation.Site.Contributions;

/// <summary>Turns a round announcement into this gateway's policy decision and, when allowed, its signed contribution.</summary>
public static class LocalTraining
{
    /// <summary>
    /// Has the task's trainer (<see cref="GatewayNode.Trainers"/>) train the announced base model at the policy's DP limits
    /// (clipping norm C = <c>privacy.maxExampleL2Norm</c>, noise multiplier z = <c>privacy.minNoiseMultiplier</c>, a
    /// secret seed derived from the gateway's key and the release, <see cref="GatewayNode.NoiseSeed"/>), passes the
    /// update through <see cref="PolicyEvaluator.EvaluateModelUpdate"/> with the privacy charge the trainer states, and
    /// only when allowed signs the released (clipped) update. The decision — allowed or refused, by the policy or because
    /// training failed — is recorded in the gateway's state with what the trainer read, and an allowed contribution goes
    /// to the outbox in the same transaction, with its sequence number and the privacy it spent; the outbox sender
    /// publishes it. Nothing is signed or sent when the policy refuses or the trainer fails. An update larger than
    /// <see cref="GatewayNode.PayloadChunkBytes"/> is streamed to a file for the outbox instead (<see cref="OutboxPayload"/>),
    /// and the returned message carries an empty payload: the file is uploaded before it.
    /// </summary>
    /// <param name="gateway">The gateway.</param>
    /// <param name="round">The announcement.</param>
    /// <param name="task">
    /// The round's task, from its announcement; <see cref="TaskIds.Default"/> for an announcement without one. The
    /// task's rules and budget apply, and a task the policy does not name is refused (and recorded) before any training.
    /// </param>
    /// <exception cref="InvalidDataException">The announced model does not match its announced hash.</exception>
    /// <exception cref="SafeTensorsFormatException">The announced model is not readable.</exception>
    public static ReleaseResult<ContributionSubmitted> Contribute(this GatewayNode gateway, RoundAnnounced round, string task = TaskIds.Default)
    {
        ArgumentNullException.ThrowIfNull(round);
        var baseModel = AnnouncedModel.Read(round.BaseModel, round.BaseModelSha256, $"Round {round.Round}'s base model");
        return gateway.Contribute(AnnouncedModel.Upcast(round) with { Task = task }, baseModel);
    }

    /// <summary>
    /// As <see cref="Contribute(GatewayNode, RoundAnnounced, string)"/>, for a round of any task whose base model the caller has
    /// fetched and checked against <see cref="RoundAnnouncedV2.BaseModel"/> (<see cref="Models.ModelCache"/>). The
    /// manifest names the task, except for task <c>default</c>, whose manifests keep the v1 bytes.
    /// </summary>
    public static ReleaseResult<ContributionSubmitted> Contribute(this GatewayNode gateway, RoundAnnouncedV2 round, TensorSet baseModel)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(baseModel);
        var policy = gateway.Policy.Policy;
        var task = round.Task;
        var subject = AnnouncedModel.Subject(task, $"round {round.Round}");
        var ledger = GatewayState.RoundsLedgerOf(task);
        var baseModelSha256 = round.BaseModel.Sha256;
        if (PolicyEvaluator.RefuseUnnamedTask<ReleasedModelUpdate>(policy, gateway.Policy.Hash, ReleaseKind.ModelUpdate, task, gateway.Now()) is { } unnamed)
        {
            return Deny(gateway, unnamed, [], subject, ledger, round.Round);
        }

        // A policy without privacy rules allows no model update (the loader guarantees them whenever it does); the
        // pre-flight below then refuses with the policy's own reason. z = 0 is never trained with: it would be refused.
        var rules = policy.RulesFor(task)!;
        double clippingNorm = rules.Privacy?.MaxExampleL2Norm ?? 1;
        double noiseMultiplier = rules.Privacy?.MinNoiseMultiplier ?? 0;
        var trainer = gateway.Trainers.For(task);
        var seed = gateway.NoiseSeed(round.Round, baseModelSha256, gateway.State.LastSequence() + 1);
        try
        {
            var context = new LocalTrainingContext(
                round.Round, baseModel, round.Training, StableSeed.For(round.Training.Seed, round.Round, gateway.Id), clippingNorm, noiseMultiplier, seed)
            {
                Trainers = rules.Trainers,
            };
            var training = new PolicyCheck(TrainingCheck, true, $"trainer {trainer.Source}");
            LocalTrainingRun run;
            try
            {
                run = trainer.Prepare(context);
            }
            catch (LocalTrainingException error)
            {
                return TrainingFailed(gateway, trainer, training, [], error.Message, subject, ledger, round.Round);
            }

            PolicyCheck Trained() => training with { Detail = $"trainer {trainer.Source}: {run.Summary}" };
            var charge = run.Charge;
            ModelUpdateRequest Request(TensorSet update) =>
                new(update, charge.SampleCount, charge.BatchSize, charge.Steps, charge.ClippingNorm, charge.NoiseMultiplier, gateway.AggregatorKeyId, task);

            // Pre-flight on a zero update of the base model's layout: every check but the update's values decides as it
            // will after training, so an expired policy, an unlisted aggregator, too few samples, a forbidden tensor or a
            // spent budget is refused (and recorded) without spending a training run.
            var preflight = PolicyEvaluator.EvaluateModelUpdate(
                policy, gateway.Policy.Hash, Request(baseModel.Subtract(baseModel)), gateway.State.PrivacyLedger(), gateway.Now());
            if (!preflight.IsAllowed)
            {
                return Deny(gateway, preflight, [Trained()], subject, ledger, round.Round);
            }

            TensorSet update;
            try
            {
                update = run.Train();
            }
            catch (LocalTrainingException error)
            {
                return TrainingFailed(gateway, trainer, Trained(), preflight.Checks, error.Message, subject, ledger, round.Round);
            }

            lock (gateway.ReleaseGate)
            {
                var now = gateway.Now();
                var decision = PolicyEvaluator.EvaluateModelUpdate(policy, gateway.Policy.Hash, Request(update), gateway.State.PrivacyLedger(), now);
                if (!decision.IsAllowed)
                {
                    return Deny(gateway, decision, [Trained()], subject, ledger, round.Round);
                }

                var released = decision.Payload!;
                var payload = OutboxPayload.Of(gateway, released.Update);
                long sequence = gateway.State.LastSequence() + 1;
                var manifest = new ContributionManifest(
                    DocumentTypes.ContributionManifestV3,
                    gateway.Id,
                    gateway.KeyId,
                    round.Round,
                    baseModelSha256,
                    payload.Sha256,
                    payload.Length,
                    charge.SampleCount,
                    sequence,
                    gateway.Policy.Hash,
                    now,
                    round.Task,
                    Privacy(released, charge, rules.Privacy!));
                var (json, signature) = gateway.Sign(manifest);
                var messageId = Guid.CreateVersion7(now);
                var entry = new OutboxEntry(messageId, OutboxKinds.Contribution, json, signature, payload.Inline, now, 0, payload.File);
                long id = gateway.State.RecordReleased(
                    DecisionDraft.From(decision, subject, [Trained(), .. decision.Checks]), ledger, round.Round, entry,
                    Sha256Hex.Of(Encoding.UTF8.GetBytes(json)), sequence, released.Release);
                return new ReleaseResult<ContributionSubmitted>(id, null, new ContributionSubmitted(json, signature, payload.Inline ?? []), messageId);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>
    /// The release's privacy charge for the signed manifest: the mechanism and its parameters, the ε of this release
    /// alone and of the task's window ending with it (at the policy's δ), and the budget it was held to.
    /// </summary>
    private static ReleasePrivacy Privacy(ReleasedModelUpdate released, PrivacyCharge charge, PrivacyRule rule)
    {
        var release = released.Release;
        var budget = rule.Budget;
        double alone = PrivacyLedger.Empty.Record(release).Spent(release.At, budget.Window, budget.Delta, release.Task).Epsilon;
        return new ReleasePrivacy(
            charge.Mechanism, release.SamplingRate, release.Steps, charge.ClippingNorm, release.NoiseMultiplier,
            alone, released.EpsilonInWindow, budget.Epsilon, budget.Delta, (long)budget.Window.TotalSeconds);
    }

    /// <summary>The decision record's name for the gateway's own check that its trainer produced an update.</summary>
    public const string TrainingCheck = "local-training";

    private static ReleaseResult<ContributionSubmitted> TrainingFailed(
        GatewayNode gateway, ILocalTrainer trainer, PolicyCheck training, IReadOnlyList<PolicyCheck> passed, string reason, string subject, string ledger, int round)
    {
        var policy = gateway.Policy;
        var draft = new DecisionDraft(
            gateway.Now(), ReleaseKind.ModelUpdate.ToName(), subject, policy.Policy.Id, policy.Policy.Version, policy.Hash, false, reason,
            [.. passed, training with { Passed = false, Detail = $"trainer {trainer.Source}: {reason}" }]);
        long id = gateway.State.RecordDenied(draft, ledger, round);
        return new ReleaseResult<ContributionSubmitted>(id, reason, null, null);
    }

    private static ReleaseResult<ContributionSubmitted> Deny(
        GatewayNode gateway, PolicyDecision<ReleasedModelUpdate> decision, IReadOnlyList<PolicyCheck> before, string subject, string ledger, int round)
    {
        long id = gateway.State.RecordDenied(DecisionDraft.From(decision, subject, [.. before, .. decision.Checks]), ledger, round);
        return new ReleaseResult<ContributionSubmitted>(id, decision.Reason, null, null);
    }
}
