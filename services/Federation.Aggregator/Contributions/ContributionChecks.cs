using Federation.Aggregator.Enrolment;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Aggregator.Contributions;

/// <summary>
/// The checks a contribution must pass on its own, before any round state is consulted, in a
/// fixed order: manifest, signer and key, signature, policy, payload hash, payload format, sample count, values.
/// The payload is only parsed once its signed hash matches, so unauthenticated bytes are never read.
/// </summary>
public static class ContributionChecks
{
    /// <summary>The longest manifest accepted; real ones are about 500 characters.</summary>
    public const int MaxManifestLength = 4096;

    /// <summary>The longest signature accepted; an Ed25519 signature is 88 base64 characters.</summary>
    public const int MaxSignatureLength = 128;

    /// <summary>Runs every check on a received contribution that needs no round state, with the keys valid at <paramref name="receivedAt"/>.</summary>
    public static CheckedContribution Check(ContributionSubmitted message, GatewayRegistry registry, DateTimeOffset receivedAt)
    {
        // A message off the bus may carry nulls whatever the contract says; they are simply wrong input.
        message = message with { Manifest = message.Manifest ?? "", Signature = message.Signature ?? "", Payload = message.Payload ?? [] };
        var payloadSha256 = Sha256Hex.Of(message.Payload);
        if (message.Manifest.Length > MaxManifestLength || message.Signature.Length > MaxSignatureLength)
        {
            // Recorded truncated with the hash of what came, so no sender can write unbounded
            // unsigned text into the permanent history.
            var oversized = new Rejection(
                RejectionReason.MalformedManifest,
                $"The manifest has {message.Manifest.Length} characters and the signature {message.Signature.Length}; at most {MaxManifestLength} and {MaxSignatureLength} are accepted. " +
                $"Recorded truncated; SHA-256 of the manifest as received: {Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(message.Manifest))}.");
            var truncated = message with { Manifest = message.Manifest[..Math.Min(message.Manifest.Length, 256)], Signature = message.Signature[..Math.Min(message.Signature.Length, MaxSignatureLength)] };
            return new CheckedContribution(truncated, payloadSha256, null, null, oversized);
        }

        var manifest = SignedDocument.Parse<ContributionManifest>(
            message.Manifest, DocumentTypes.ContributionManifest, document => document.Type, out var rejection);
        if (manifest is null)
        {
            return new CheckedContribution(message, payloadSha256, null, null, rejection);
        }

        TensorSet? update = null;
        var gateway = SignedDocument.Authenticate(registry, manifest.GatewayId, manifest.KeyId, message.Manifest, message.Signature, receivedAt, out rejection);
        rejection ??= CheckPolicy(manifest, gateway!) ?? CheckPayload(message.Payload, payloadSha256, manifest, out update);
        return new CheckedContribution(message, payloadSha256, manifest, rejection is null ? update : null, rejection);
    }

    /// <summary>
    /// The checks that depend on key events, not on the bytes: the manifest's key may sign for its
    /// gateway at <paramref name="at"/> and its policy is allowed. The coordinator runs them again
    /// while it appends an acceptance, since keys may change between the first check and then.
    /// </summary>
    public static Rejection? CheckKeyAndPolicy(GatewayRegistry registry, ContributionManifest manifest, DateTimeOffset at) =>
        registry.FindValidKey(manifest.GatewayId, manifest.KeyId, at, out var rejection) is null
            ? rejection
            : CheckPolicy(manifest, registry.Find(manifest.GatewayId)!);

    private static Rejection? CheckPolicy(ContributionManifest manifest, RegisteredGateway gateway) =>
        gateway.AllowedPolicies.Contains(manifest.PolicySha256)
            ? null
            : new Rejection(
                RejectionReason.PolicyNotAllowed,
                $"The update was released under policy {manifest.PolicySha256}, which is not among the policies allowed for gateway '{gateway.GatewayId}' ({string.Join(", ", gateway.AllowedPolicies)}). " +
                "If the factory changed its policy on purpose, an operator must allow the new hash (fedctl gateways allow-policy).");

    private static Rejection? CheckPayload(byte[] payload, string payloadSha256, ContributionManifest manifest, out TensorSet? update)
    {
        update = null;
        if (payloadSha256 != manifest.PayloadSha256 || payload.LongLength != manifest.PayloadBytes)
        {
            return new Rejection(
                RejectionReason.PayloadHashMismatch,
                $"The payload ({payload.LongLength} bytes, SHA-256 {payloadSha256}) is not the one the manifest signs ({manifest.PayloadBytes} bytes, SHA-256 {manifest.PayloadSha256}).");
        }

        try
        {
            update = SafeTensors.Read(payload);
            // Model versions are always F32; a narrower update would silently lose precision.
            if (SafeTensors.ReadDTypes(payload).FirstOrDefault(pair => pair.Value != "F32") is { Key: not null } narrow)
            {
                update = null;
                return new Rejection(RejectionReason.DtypeMismatch, $"Tensor '{narrow.Key}' is stored as {narrow.Value}; the base model's tensors are F32.");
            }
        }
        catch (SafeTensorsFormatException error)
        {
            return new Rejection(RejectionReason.MalformedPayload, $"The payload is not a valid safetensors file: {error.Message}");
        }

        if (manifest.SampleCount <= 0)
        {
            return new Rejection(RejectionReason.InvalidSampleCount, $"Sample count {manifest.SampleCount} is not positive.");
        }

        var nonFinite = update.FindNonFinite();
        return nonFinite is null ? null : new Rejection(RejectionReason.NonFiniteValues, $"The update is not finite: {nonFinite}.");
    }
}

/// <summary>The result of the stateless checks.</summary>
/// <param name="Message">The contribution as received.</param>
/// <param name="PayloadSha256">SHA-256 of the received payload.</param>
/// <param name="Manifest">The manifest, when it could be read.</param>
/// <param name="Update">The update tensors, when every check passed.</param>
/// <param name="Rejection">The first failed check, or null.</param>
public sealed record CheckedContribution(
    ContributionSubmitted Message,
    string PayloadSha256,
    ContributionManifest? Manifest,
    TensorSet? Update,
    Rejection? Rejection);
