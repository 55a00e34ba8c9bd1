using Federation.Audit.Contributions;
using Federation.Contracts.Messages;
using Federation.Coordination.Enrolment;
using Federation.Coordination.Payloads;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Rounds;

/// <summary>
/// Establishes a contribution's <see cref="ContributionFacts"/> before the coordinator decides on it: reads the
/// manifest, verifies its signature, and examines the payload — waiting, when it travels apart (uploaded, or in
/// chunks), until <see cref="PayloadArrivals"/> says it is in the store (or failed). This is the costly part (a signature, a stream over
/// a model-sized payload), so it runs outside the <see cref="History.DecisionGate"/>, once per contribution.
/// </summary>
public sealed class ContributionVerification(
    GatewayKeys keys, PayloadStore payloads, PayloadArrivals arrivals, PayloadOptions limits, ILogger<ContributionVerification> logger)
{
    /// <summary>
    /// The facts of <paramref name="message"/>. A payload sent apart is waited for up to
    /// <see cref="PayloadOptions.Wait"/>; if it has not arrived by then, the facts say so and it will be rejected.
    /// Waiting here, rather than failing the message for the bus to redeliver, keeps the contribution's place and
    /// needs no redelivery plugin; a restart while waiting simply redelivers it. Real time, not the coordinator's
    /// clock: this is a wait for the disk, not a decision.
    /// </summary>
    public async Task<ContributionFacts> VerifyAsync(ContributionSubmitted message, CancellationToken cancellationToken)
    {
        // The signature is verified against the key the manifest names; a key id stands for one public key for good,
        // so later key events cannot change this. Whether the key may sign is judged when the contribution is decided.
        var facts = ContributionChecks.Authenticate(message, keys.Registry);
        if (ContributionChecks.ChunkedPayloadSha256(facts) is { } sha256)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(limits.Wait);
            try
            {
                logger.LogDebug("Waiting for payload {Sha256} to be assembled", sha256);
                await arrivals.WhenAssembledAsync(sha256, wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Payload {Sha256} was not assembled within {Wait}", sha256, limits.Wait);
            }
        }

        return ContributionChecks.ExaminePayload(facts, payloads);
    }
}
