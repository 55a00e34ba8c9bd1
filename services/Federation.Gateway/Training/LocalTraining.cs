using System.Security.Cryptography;
using System.Text;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Gateway.Outbox;
using Federation.Gateway.State;
using Federation.Learning.Models;
using Federation.Learning.Privacy;
using Federation.Learning.Tensors;
using Federation.Learning.Training;
using Federation.Policies;
using Federation.Trust;

namespace Federation.Gateway.Training;

/// <summary>Turns a round announcement into this gateway's policy decision and, when allowed, its signed contribution.</summary>
public static class LocalTraining
{
    /// <summary>
    /// Trains the announced base model on the gateway's local data with DP-SGD at the policy's limits (per-example
    /// clipping norm C = <c>privacy.maxExampleL2Norm</c>, noise multiplier z = <c>privacy.minNoiseMultiplier</c>, a
    /// secret seed derived from the gateway's key and the release, <see cref="GatewayNode.NoiseSeed"/>), passes the update through <see cref="PolicyEvaluator.EvaluateModelUpdate"/>, and only when
    /// allowed signs the released (clipped) update. The decision — allowed or refused — is recorded in the gateway's
    /// state, and an allowed contribution goes to the outbox in the same transaction, with its sequence number and the
    /// privacy it spent; the outbox sender publishes it. Nothing is signed or sent when the policy refuses. An update
    /// larger than <see cref="GatewayNode.PayloadChunkBytes"/> is streamed to a file for the outbox instead
    /// (<see cref="OutboxPayload"/>), and the returned message carries an empty payload: it travels in chunks.
    /// </summary>
    /// <exception cref="InvalidDataException">The announced model does not match its announced hash.</exception>
    /// <exception cref="SafeTensorsFormatException">The announced model is not readable.</exception>
    public static ReleaseResult<ContributionSubmitted> Contribute(this GatewayNode gateway, RoundAnnounced round)
    {
        var baseModel = AnnouncedModel.Read(round.BaseModel, round.BaseModelSha256, $"Round {round.Round}'s base model");
        var spec = ModelSpec.FromParameters(baseModel);
        var policy = gateway.Policy.Policy;
        var subject = $"round {round.Round}";

        // A policy without privacy rules allows no model update (the loader guarantees them whenever it does); the
        // pre-flight below then refuses with the policy's own reason. z = 0 is never trained with: it would be refused.
        double clippingNorm = policy.Privacy?.MaxExampleL2Norm ?? 1;
        double noiseMultiplier = policy.Privacy?.MinNoiseMultiplier ?? 0;
        var seed = gateway.NoiseSeed(round.Round, round.BaseModelSha256, gateway.State.LastSequence() + 1);
        try
        {
            var options = new TrainingOptions(
                round.Training.Epochs,
                round.Training.BatchSize,
                (float)round.Training.LearningRate,
                StableSeed.For(round.Training.Seed, round.Round, gateway.Id))
            {
                ProximalMu = (float)round.Training.ProximalMu,
                DifferentialPrivacy = new DifferentialPrivacy(clippingNorm, noiseMultiplier, seed),
            };
            int sampleCount = gateway.Data.Training.Count;
            int steps = Math.Max(1, options.StepCount(sampleCount));
            ModelUpdateRequest Request(TensorSet update) =>
                new(update, sampleCount, options.BatchSize, steps, clippingNorm, noiseMultiplier, gateway.AggregatorKeyId);

            // Pre-flight on a zero update of the base model's layout: every check but the update's values decides as it
            // will after training, so an expired policy, an unlisted aggregator, too few samples, a forbidden tensor or a
            // spent budget is refused (and recorded) without spending a training run.
            var preflight = PolicyEvaluator.EvaluateModelUpdate(
                policy, gateway.Policy.Hash, Request(baseModel.Subtract(baseModel)), gateway.State.PrivacyLedger(), gateway.Now());
            if (!preflight.IsAllowed)
            {
                return Deny(gateway, preflight, subject, round.Round);
            }

            var update = SgdTrainer.Train(spec, baseModel, gateway.Data.Training, options).Subtract(baseModel);
            lock (gateway.ReleaseGate)
            {
                var now = gateway.Now();
                var decision = PolicyEvaluator.EvaluateModelUpdate(policy, gateway.Policy.Hash, Request(update), gateway.State.PrivacyLedger(), now);
                if (!decision.IsAllowed)
                {
                    return Deny(gateway, decision, subject, round.Round);
                }

                var released = decision.Payload!;
                var payload = OutboxPayload.Of(gateway, released.Update);
                long sequence = gateway.State.LastSequence() + 1;
                var manifest = new ContributionManifest(
                    DocumentTypes.ContributionManifest,
                    gateway.Id,
                    gateway.KeyId,
                    round.Round,
                    round.BaseModelSha256,
                    payload.Sha256,
                    payload.Length,
                    sampleCount,
                    sequence,
                    gateway.Policy.Hash,
                    now);
                var (json, signature) = gateway.Sign(manifest);
                var messageId = Guid.CreateVersion7(now);
                var entry = new OutboxEntry(messageId, OutboxKinds.Contribution, json, signature, payload.Inline, now, 0, payload.File);
                long id = gateway.State.RecordReleased(
                    DecisionDraft.From(decision, subject), GatewayState.RoundsLedger, round.Round, entry, Sha256Hex.Of(Encoding.UTF8.GetBytes(json)), sequence, released.Release);
                return new ReleaseResult<ContributionSubmitted>(id, null, new ContributionSubmitted(json, signature, payload.Inline ?? []), messageId);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static ReleaseResult<ContributionSubmitted> Deny(GatewayNode gateway, PolicyDecision<ReleasedModelUpdate> decision, string subject, int round)
    {
        long id = gateway.State.RecordDenied(DecisionDraft.From(decision, subject), GatewayState.RoundsLedger, round);
        return new ReleaseResult<ContributionSubmitted>(id, decision.Reason, null, null);
    }
}
