using System.Text.Json.Serialization;

namespace Federation.Contracts.Signing;

/// <summary>
/// What a gateway signs about one contribution. Serialized with <see cref="FederationJson.Options"/>
/// and canonicalized with RFC 8785 before signing; docs/FORMATS.md gives the exact bytes.
/// </summary>
/// <param name="Type">Always <see cref="DocumentTypes.ContributionManifest"/>, so a signature over one kind of document can never be passed off as another.</param>
/// <param name="GatewayId">The contributing gateway.</param>
/// <param name="KeyId">Id of the signing key (SHA-256 of the Ed25519 public key, lowercase hex).</param>
/// <param name="Round">The round contributed to.</param>
/// <param name="BaseModelSha256">SHA-256 of the model the update was trained from.</param>
/// <param name="PayloadSha256">SHA-256 of the safetensors payload.</param>
/// <param name="PayloadBytes">Length of the payload in bytes.</param>
/// <param name="SampleCount">Local training samples behind the update (the FedAvg weight).</param>
/// <param name="Sequence">
/// The gateway's own counter of contributions, from 1, strictly increasing over the gateway's life
/// (across rounds and restarts); the aggregator rejects a manifest whose sequence is not above every
/// earlier one of the same gateway, so a captured contribution cannot be replayed.
/// </param>
/// <param name="PolicySha256">SHA-256 of the exact bytes of the policy file the gateway released the update under.</param>
/// <param name="CreatedAt">When the gateway signed it.</param>
/// <param name="Task">
/// The task contributed to. Required in a <see cref="DocumentTypes.ContributionManifestV2"/>; absent in a v1 manifest
/// (from before tasks), which is read as one of task <c>default</c>. Left out of the JSON when null, so v1 bytes are unchanged.
/// Required in a <see cref="DocumentTypes.ContributionManifestV3"/>, also for task <c>default</c>.
/// </param>
/// <param name="Privacy">
/// What the release cost the gateway's privacy budget. Required in a <see cref="DocumentTypes.ContributionManifestV3"/>
/// and absent from v1 and v2; left out of the JSON when null, so their bytes are unchanged.
/// </param>
public sealed record ContributionManifest(
    string Type,
    string GatewayId,
    string KeyId,
    int Round,
    string BaseModelSha256,
    string PayloadSha256,
    long PayloadBytes,
    long SampleCount,
    long Sequence,
    string PolicySha256,
    DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Task = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReleasePrivacy? Privacy = null);
