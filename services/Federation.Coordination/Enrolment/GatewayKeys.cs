using Federation.Audit.History;
using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Coordination.History;
using Federation.EventStore;
using Federation.Policies;
using Federation.Trust;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Enrolment;

/// <summary>
/// Enrols, rotates and revokes gateway keys, and sets the policies each gateway may release
/// under. Every change is an event in the gateway's stream first; <see cref="Registry"/> is
/// the fold of those events, the one source every signature check reads. Changes are decided and
/// appended through the <see cref="DecisionGate"/> the round coordinator also passes, so a decision
/// that judged a key with <see cref="Registry"/> inside the gate is appended before any later key change.
/// </summary>
public sealed class GatewayKeys(
    EventHistory history, DecisionGate gate, IReadOnlyList<GatewayEnrolment> configuredGateways, TimeProvider clock, ILogger<GatewayKeys> logger)
{
    /// <summary>Who stands behind enrolments taken from the aggregator's settings.</summary>
    public const string ConfigurationEnroller = "configuration";

    private readonly Dictionary<string, long> streamVersions = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GatewayRegistry registry = GatewayRegistry.Empty;

    /// <summary>The current registry; waits for <see cref="InitializeAsync"/> to have run.</summary>
    public async ValueTask<GatewayRegistry> RegistryAsync(CancellationToken cancellationToken = default)
    {
        await initialized.Task.WaitAsync(cancellationToken);
        return registry;
    }

    /// <summary>
    /// The current registry (empty before <see cref="InitializeAsync"/>). Read inside the <see cref="DecisionGate"/>,
    /// it is the registry any decision appended there was made with.
    /// </summary>
    public GatewayRegistry Registry => registry;

    /// <summary>
    /// Folds the key events of the history, then enrols every gateway of <c>Aggregator:Gateways</c>
    /// that the history does not know yet. A configured key that differs from a known gateway's is
    /// only logged: once enrolled, keys change through the API, never by editing settings.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await gate.RunAsync(async () =>
            {
                await RebuildAsync(cancellationToken);
                foreach (var configured in configuredGateways)
                {
                    if (EnrolmentOf(configured) is { } enrolled)
                    {
                        await AppendAsync(configured.Id, enrolled, cancellationToken);
                    }
                }

                return true;
            }, () => RebuildAsync(cancellationToken), cancellationToken);
        }
        finally
        {
            initialized.TrySetResult();
        }
    }

    /// <summary>
    /// Rebuilds <see cref="Registry"/> from the history. Only inside the <see cref="DecisionGate"/>: it is how a
    /// decision that met another writer's append refreshes what it knows before deciding again.
    /// </summary>
    public Task RefreshAsync(CancellationToken cancellationToken) => RebuildAsync(cancellationToken);

    /// <summary>Enrols a new gateway with its first key.</summary>
    /// <exception cref="EnrolmentException">The gateway is already enrolled, or an argument is malformed.</exception>
    public Task<GatewayKeyEnrolled> EnrolAsync(string gatewayId, string publicKey, IReadOnlyList<string> allowedPolicies, string by, CancellationToken cancellationToken) =>
        ChangeAsync(gatewayId, () =>
        {
            RequireGatewayId(gatewayId);
            if (registry.Find(gatewayId) is not null)
            {
                throw new EnrolmentException($"Gateway '{gatewayId}' is already enrolled; rotate its key instead.", conflict: true);
            }

            var key = RequirePublicKey(publicKey);
            RequireNewKey(key);
            RequirePolicies(allowedPolicies);
            return new GatewayKeyEnrolled(gatewayId, KeyId.Of(key), Convert.ToBase64String(key), [.. allowedPolicies], by, clock.GetUtcNow());
        }, cancellationToken);

    /// <summary>Replaces the gateway's current key; the old one stays valid for <paramref name="overlap"/>.</summary>
    /// <exception cref="EnrolmentException">The gateway is unknown, has no current key, or an argument is malformed.</exception>
    public Task<GatewayKeyRotated> RotateAsync(string gatewayId, string newPublicKey, TimeSpan overlap, string by, CancellationToken cancellationToken) =>
        ChangeAsync(gatewayId, () =>
        {
            var now = clock.GetUtcNow();
            var current = RequireGateway(gatewayId).CurrentKey(now)
                ?? throw new EnrolmentException($"Gateway '{gatewayId}' has no valid key to rotate from; enrol it again under a new id or ask for its revocation history.", conflict: true);
            if (overlap < TimeSpan.Zero || overlap > TimeSpan.FromDays(30))
            {
                throw new EnrolmentException($"The overlap must be between 0 and 30 days; it is {overlap}.");
            }

            var key = RequirePublicKey(newPublicKey);
            RequireNewKey(key);
            return new GatewayKeyRotated(gatewayId, current.KeyId, KeyId.Of(key), Convert.ToBase64String(key), now + overlap, by, now);
        }, cancellationToken);

    /// <summary>Revokes one of the gateway's keys from now on.</summary>
    /// <exception cref="EnrolmentException">The gateway or key is unknown, the key is already revoked, or no reason is given.</exception>
    public Task<GatewayKeyRevoked> RevokeAsync(string gatewayId, string keyId, string reason, string by, CancellationToken cancellationToken) =>
        ChangeAsync(gatewayId, () =>
        {
            var key = RequireGateway(gatewayId).Keys.FirstOrDefault(candidate => candidate.KeyId == keyId)
                ?? throw new EnrolmentException($"Gateway '{gatewayId}' has no key {keyId}.", notFound: true);
            if (key.RevokedAt is { } revokedAt)
            {
                throw new EnrolmentException($"Key {keyId} of gateway '{gatewayId}' was already revoked at {revokedAt:O}.", conflict: true);
            }

            if (string.IsNullOrWhiteSpace(reason) || reason.Length > 500)
            {
                throw new EnrolmentException("Give the reason for the revocation (at most 500 characters); auditors will read it.");
            }

            return new GatewayKeyRevoked(gatewayId, keyId, reason, by, clock.GetUtcNow());
        }, cancellationToken);

    /// <summary>Replaces the list of policy files the gateway may release under.</summary>
    /// <exception cref="EnrolmentException">The gateway is unknown or a hash is malformed.</exception>
    public Task<GatewayPoliciesAllowed> AllowPoliciesAsync(string gatewayId, IReadOnlyList<string> allowedPolicies, string by, CancellationToken cancellationToken) =>
        ChangeAsync(gatewayId, () =>
        {
            RequireGateway(gatewayId);
            RequirePolicies(allowedPolicies);
            return new GatewayPoliciesAllowed(gatewayId, [.. allowedPolicies], by, clock.GetUtcNow());
        }, cancellationToken);

    private async Task<T> ChangeAsync<T>(string gatewayId, Func<T> decide, CancellationToken cancellationToken)
        where T : IFederationEvent
    {
        await initialized.Task.WaitAsync(cancellationToken);
        try
        {
            return await gate.RunAsync(async () =>
            {
                var change = decide();
                await AppendAsync(gatewayId, change, cancellationToken);
                return change;
            }, () => RebuildAsync(cancellationToken), cancellationToken);
        }
        catch (WrongExpectedVersionException)
        {
            // Other aggregator instances kept changing this gateway while we decided again and again.
            throw new EnrolmentException($"Gateway '{gatewayId}' was changed concurrently; look again and retry.", conflict: true);
        }
    }

    private async Task AppendAsync(string gatewayId, IFederationEvent change, CancellationToken cancellationToken)
    {
        var expected = streamVersions.GetValueOrDefault(gatewayId, ExpectedVersion.NoStream);
        var result = await history.AppendAsync(EventStreams.Gateway(gatewayId), expected, change, cancellationToken);
        streamVersions[gatewayId] = result.StreamVersion;
        registry = registry.Apply(change);
        // The event as it is stored (type and JSON): a record's ToString would print its lists as
        // their .NET type names instead of the policies and keys an operator wants to see.
        var stored = EventHistory.ToEventData(change);
        logger.LogInformation("Gateway {Gateway}: {EventType} {EventJson}", gatewayId, stored.Type, stored.Data);
    }

    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        var folded = GatewayRegistry.Empty;
        streamVersions.Clear();
        await foreach (var entry in history.ReadAllAsync(1, cancellationToken))
        {
            var gatewayId = entry.Event switch
            {
                GatewayKeyEnrolled enrolled => enrolled.GatewayId,
                GatewayKeyRotated rotated => rotated.GatewayId,
                GatewayKeyRevoked revoked => revoked.GatewayId,
                GatewayPoliciesAllowed allowed => allowed.GatewayId,
                _ => null,
            };
            if (gatewayId is not null)
            {
                folded = folded.Apply(entry.Event);
                streamVersions[gatewayId] = entry.Recorded.StreamVersion;
            }
        }

        registry = folded;
    }

    /// <summary>The enrolment a configured gateway still needs, or null when the history knows it.</summary>
    private GatewayKeyEnrolled? EnrolmentOf(GatewayEnrolment configured)
    {
        var publicKey = configured.PublicKeyBytes()!;
        if (registry.Find(configured.Id) is not { } known)
        {
            return new GatewayKeyEnrolled(
                configured.Id, KeyId.Of(publicKey), Convert.ToBase64String(publicKey), [.. configured.AllowedPolicies], ConfigurationEnroller, clock.GetUtcNow());
        }

        if (known.Keys.All(key => key.KeyId != KeyId.Of(publicKey)))
        {
            logger.LogWarning(
                "Aggregator:Gateways lists a key for {Gateway} that its history does not have; the history's keys stay in force (rotate with fedctl gateways rotate)",
                configured.Id);
        }

        return null;
    }

    private RegisteredGateway RequireGateway(string gatewayId) =>
        registry.Find(gatewayId) ?? throw new EnrolmentException($"Gateway '{gatewayId}' is not enrolled.", notFound: true);

    private void RequireNewKey(byte[] key)
    {
        var keyId = KeyId.Of(key);
        var owner = registry.Gateways.Values.FirstOrDefault(gateway => gateway.Keys.Any(existing => existing.KeyId == keyId));
        if (owner is not null)
        {
            // One key, one gateway, once: reusing a key would make its signatures ambiguous.
            throw new EnrolmentException($"Key {keyId} is already enrolled (for gateway '{owner.GatewayId}'); every enrolment needs a fresh key (fedctl keys init).", conflict: true);
        }
    }

    private static void RequireGatewayId(string gatewayId)
    {
        if (string.IsNullOrWhiteSpace(gatewayId) || gatewayId.Length > 64 || !gatewayId.All(character => char.IsAsciiLetterOrDigit(character) || character is '-' or '_' or '.'))
        {
            throw new EnrolmentException($"Gateway id '{gatewayId}' must be 1 to 64 ASCII letters, digits, '-', '_' or '.'.");
        }
    }

    private static byte[] RequirePublicKey(string publicKey)
    {
        var buffer = new byte[64];
        return Convert.TryFromBase64String(publicKey ?? "", buffer, out var length) && length == Ed25519.PublicKeyLength
            ? buffer[..length]
            : throw new EnrolmentException("The public key must be a base64 Ed25519 public key (32 bytes), as printed by fedctl keys init.");
    }

    private static void RequirePolicies(IReadOnlyList<string> allowedPolicies)
    {
        if (allowedPolicies is null || allowedPolicies.Count == 0 || !allowedPolicies.All(PolicyHash.IsWellFormed))
        {
            throw new EnrolmentException("List at least one allowed policy: the SHA-256 of the gateway's policy file, 64 lowercase hex digits (sha256sum policy.yaml).");
        }
    }
}

/// <summary>An enrolment change that cannot be made, with a message an operator can act on.</summary>
public sealed class EnrolmentException(string message, bool notFound = false, bool conflict = false) : Exception(message)
{
    /// <summary>The gateway or key does not exist.</summary>
    public bool NotFound { get; } = notFound;

    /// <summary>The change contradicts the current state (already enrolled, already revoked, concurrent change).</summary>
    public bool Conflict { get; } = conflict;
}
