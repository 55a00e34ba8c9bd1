namespace Federation.Coordination.Enrolment;

/// <summary>One enrolled gateway.</summary>
public sealed class GatewayEnrolment
{
    /// <summary>Gateway id.</summary>
    public string Id { get; set; } = "";

    /// <summary>Ed25519 public key, base64.</summary>
    public string PublicKey { get; set; } = "";

    /// <summary>SHA-256 hashes (lowercase hex) of the policy files the gateway may release updates under.</summary>
    public List<string> AllowedPolicies { get; set; } = [];

    /// <summary>The decoded key, or null when it is not valid base64.</summary>
    public byte[]? PublicKeyBytes()
    {
        var buffer = new byte[64];
        return Convert.TryFromBase64String(PublicKey, buffer, out var length) ? buffer[..length] : null;
    }
}
