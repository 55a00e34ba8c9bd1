namespace Federation.Contracts.Events;

/// <summary>Why a contribution or report was refused; one machine-readable code per check.</summary>
public enum RejectionReason
{
    /// <summary>The manifest is not valid JSON of the expected shape, or not in RFC 8785 canonical form.</summary>
    MalformedManifest,

    /// <summary>The gateway id is not enrolled with the aggregator.</summary>
    UnknownGateway,

    /// <summary>The manifest names a key that was never enrolled for the gateway.</summary>
    UnknownKey,

    /// <summary>The manifest names a key of the gateway that was revoked before the contribution arrived.</summary>
    RevokedKey,

    /// <summary>The manifest names a key of the gateway that was rotated away and whose overlap window has ended.</summary>
    RetiredKey,

    /// <summary>The Ed25519 signature does not verify against the enrolled key.</summary>
    BadSignature,

    /// <summary>The manifest's policy hash is not in the gateway's allowed list.</summary>
    PolicyNotAllowed,

    /// <summary>The manifest's sequence number is not above every earlier accepted one of the gateway (the same manifest twice, or an older one).</summary>
    Replay,

    /// <summary>The payload's SHA-256 or length differs from what the manifest signs.</summary>
    PayloadHashMismatch,

    /// <summary>The payload is not a readable safetensors file.</summary>
    MalformedPayload,

    /// <summary>The payload's tensor names or shapes differ from the base model's.</summary>
    ShapeMismatch,

    /// <summary>The payload stores a tensor in another dtype than the base model's (F32).</summary>
    DtypeMismatch,

    /// <summary>The payload holds NaN or infinite values.</summary>
    NonFiniteValues,

    /// <summary>The sample count is not positive.</summary>
    InvalidSampleCount,

    /// <summary>The round does not exist.</summary>
    UnknownRound,

    /// <summary>The round is already closed.</summary>
    RoundNotOpen,

    /// <summary>The contribution arrived after the round's deadline.</summary>
    Late,

    /// <summary>The update's L2 norm exceeds the round's bound.</summary>
    NormTooLarge,

    /// <summary>The update was trained from another model than the round's base model.</summary>
    BaseModelMismatch,

    /// <summary>The gateway was not invited to the round.</summary>
    NotInvited,

    /// <summary>The gateway already has an accepted contribution in this round.</summary>
    DuplicateContribution,

    /// <summary>An evaluation report names a task or model version that does not exist, or a different hash.</summary>
    UnknownModelVersion,

    /// <summary>An evaluation report has a non-finite metric or a non-positive sample count.</summary>
    InvalidMetrics,

    /// <summary>The manifest or report names a task this aggregator does not have.</summary>
    UnknownTask,
}
