using Federation.Contracts.Messages;
using Federation.Contracts.Signing;

namespace Federation.Audit.Contributions;

/// <summary>
/// What is true of a received contribution whatever the history holds: what arrived, whether its manifest reads,
/// whether its signature verifies against the key it names, and what its payload is. Established once, before any
/// decision; what depends on the history (is the key valid now, is the policy allowed, does the round take it) is
/// judged from these facts at decision time (<see cref="ContributionChecks.Judge"/>).
/// </summary>
/// <param name="Message">The contribution as received (nulls replaced by empty values, oversized text truncated).</param>
/// <param name="PayloadSha256">SHA-256 of the received payload; of the assembled one once a payload sent in chunks is examined.</param>
/// <param name="Manifest">The manifest, when it could be read.</param>
/// <param name="Unreadable">Why the manifest could not be read (too long, malformed, not canonical), or null.</param>
/// <param name="Signature">
/// Why the signature does not verify against the key the manifest names, or null when it does. A key id stands for
/// one public key for good (it is derived from it), so this holds whatever key events come later; whether the key
/// may sign at a given time is judged separately.
/// </param>
/// <param name="Payload">The update's layout and norm, when its payload was examined and passed.</param>
/// <param name="PayloadRejection">Why the payload failed its checks, or null.</param>
public sealed record ContributionFacts(
    ContributionSubmitted Message,
    string PayloadSha256,
    ContributionManifest? Manifest,
    Rejection? Unreadable,
    Rejection? Signature,
    PayloadSummary? Payload,
    Rejection? PayloadRejection)
{
    /// <summary>True once the payload was examined (it passed or failed); never for a contribution whose signature failed.</summary>
    public bool PayloadExamined => Payload is not null || PayloadRejection is not null;
}
