namespace Federation.Coordination.Transparency;

/// <summary>The log's identity and signing key, configured under <c>Aggregator:Log</c>.</summary>
public sealed class TransparencyOptions
{
    /// <summary>The log's origin line in every checkpoint, and the name of its signing key.</summary>
    public string Origin { get; set; } = "federation.local/aggregator";

    /// <summary>
    /// The aggregator's Ed25519 key file (see docs/FORMATS.md section 6). Created on first start
    /// when missing, readable only by the aggregator's user; its verifier key is what auditors pin.
    /// </summary>
    public string KeyFile { get; set; } = "";
}
