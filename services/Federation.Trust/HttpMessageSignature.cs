using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Federation.Trust;

/// <summary>
/// The subset of RFC 9421 (HTTP Message Signatures) a gateway uses to sign its requests to the aggregator: one
/// signature <c>sig1</c> over <c>"@method"</c> and <c>"@target-uri"</c>, with the parameters <c>created</c>,
/// <c>keyid</c> (<c>gatewayId/keyId</c>) and <c>alg="ed25519"</c>, always in that order (docs/FORMATS.md,
/// model download). Pure functions: the caller reads and writes the headers.
/// </summary>
public static partial class HttpMessageSignature
{
    /// <summary>The header carrying the covered components and parameters.</summary>
    public const string InputHeader = "Signature-Input";

    /// <summary>The header carrying the signature itself.</summary>
    public const string SignatureHeader = "Signature";

    /// <summary>The signature's label in both headers.</summary>
    public const string Label = "sig1";

    /// <summary>The RFC 9421 algorithm name.</summary>
    public const string Algorithm = "ed25519";

    /// <summary>The signature parameters, as serialized in <c>Signature-Input</c> after <c>sig1=</c> and in the signature base.</summary>
    public static string Parameters(long created, string keyId) =>
        $"(\"@method\" \"@target-uri\");created={created.ToString(CultureInfo.InvariantCulture)};keyid=\"{keyId}\";alg=\"{Algorithm}\"";

    /// <summary>The signature base of RFC 9421 §2.5: one line per covered component, then the parameters line, joined by LF, no final LF.</summary>
    public static string Base(string method, string targetUri, long created, string keyId) =>
        $"\"@method\": {method}\n\"@target-uri\": {targetUri}\n\"@signature-params\": {Parameters(created, keyId)}";

    /// <summary>Signs a request as <paramref name="gatewayId"/> with <paramref name="key"/> at <paramref name="at"/>.</summary>
    /// <exception cref="ArgumentException">The gateway id could not be written as a keyid (empty, or holds '/', '"' or '\').</exception>
    public static SignatureHeaders Sign(string method, Uri targetUri, DateTimeOffset at, string gatewayId, Ed25519KeyPair key)
    {
        ArgumentNullException.ThrowIfNull(targetUri);
        ArgumentNullException.ThrowIfNull(key);
        if (string.IsNullOrEmpty(gatewayId) || gatewayId.IndexOfAny(['/', '"', '\\']) >= 0)
        {
            throw new ArgumentException($"Gateway id '{gatewayId}' cannot be part of a keyid.", nameof(gatewayId));
        }

        var keyId = $"{gatewayId}/{key.KeyId}";
        var created = at.ToUnixTimeSeconds();
        var signature = key.Sign(Encoding.UTF8.GetBytes(Base(method, targetUri.AbsoluteUri, created, keyId)));
        return new SignatureHeaders($"{Label}={Parameters(created, keyId)}", $"{Label}=:{Convert.ToBase64String(signature)}:");
    }

    /// <summary>Signs <paramref name="request"/> (its method and URL) and adds the two headers to it.</summary>
    /// <exception cref="ArgumentException">The gateway id could not be written as a keyid.</exception>
    public static void SignRequest(System.Net.Http.HttpRequestMessage request, DateTimeOffset at, string gatewayId, Ed25519KeyPair key)
    {
        ArgumentNullException.ThrowIfNull(request);
        var signature = Sign(request.Method.Method, request.RequestUri ?? throw new ArgumentException("The request has no URL.", nameof(request)), at, gatewayId, key);
        request.Headers.TryAddWithoutValidation(InputHeader, signature.SignatureInput);
        request.Headers.TryAddWithoutValidation(SignatureHeader, signature.Signature);
    }

    /// <summary>Parses the two headers; returns null and the reason when they are missing or not in the form <see cref="Sign"/> writes.</summary>
    public static SignedRequest? TryRead(string? signatureInput, string? signature, out string? reason)
    {
        reason = null;
        if (string.IsNullOrEmpty(signatureInput) || string.IsNullOrEmpty(signature))
        {
            reason = $"The request has no {InputHeader} and {SignatureHeader} headers.";
            return null;
        }

        if (InputPattern().Match(signatureInput) is not { Success: true } input)
        {
            reason = $"{InputHeader} must read {Label}=(\"@method\" \"@target-uri\");created=<unix seconds>;keyid=\"<gateway>/<key id>\";alg=\"{Algorithm}\", not '{signatureInput}'.";
            return null;
        }

        if (!long.TryParse(input.Groups["created"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var created))
        {
            reason = $"The created parameter '{input.Groups["created"].Value}' is not a unix time in seconds.";
            return null;
        }

        var bytes = new byte[Ed25519.SignatureLength];
        if (SignaturePattern().Match(signature) is not { Success: true } value
            || !Convert.TryFromBase64String(value.Groups["value"].Value, bytes, out var length) || length != Ed25519.SignatureLength)
        {
            reason = $"{SignatureHeader} must read {Label}=:<base64 of a 64-byte Ed25519 signature>:.";
            return null;
        }

        return new SignedRequest(created, input.Groups["gateway"].Value, input.Groups["key"].Value, bytes);
    }

    /// <summary>
    /// Checks a parsed signature against the request it came with and the signer's public key; returns null when it
    /// holds, or the reason it does not. <c>created</c> must lie within <paramref name="maxSkew"/> of <paramref name="now"/>
    /// either way, so a recorded request cannot be replayed later.
    /// </summary>
    public static string? Verify(SignedRequest signed, string method, string targetUri, ReadOnlySpan<byte> publicKey, DateTimeOffset now, TimeSpan maxSkew)
    {
        ArgumentNullException.ThrowIfNull(signed);
        var created = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(signed.Created, 0, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        if ((created - now).Duration() > maxSkew)
        {
            return $"The signature was created at {created:O}, more than {maxSkew.TotalMinutes:0} minutes from the aggregator's clock ({now:O}); check the gateway's clock.";
        }

        var signatureBase = Base(method, targetUri, signed.Created, signed.KeyId);
        return Ed25519.Verify(publicKey, Encoding.UTF8.GetBytes(signatureBase), signed.Signature)
            ? null
            : $"The signature of key {signed.SignerKeyId} does not match {method} {targetUri}.";
    }

    // Exactly what Sign writes: the gateway id has no '/', '"' or '\'; a key id is 64 lowercase hex digits.
    [GeneratedRegex("""^sig1=\("@method" "@target-uri"\);created=(?<created>[0-9]{1,19});keyid="(?<gateway>[^/"\\]+)/(?<key>[0-9a-f]{64})";alg="ed25519"$""", RegexOptions.CultureInvariant)]
    private static partial Regex InputPattern();

    [GeneratedRegex("^sig1=:(?<value>[A-Za-z0-9+/]+={0,2}):$", RegexOptions.CultureInvariant)]
    private static partial Regex SignaturePattern();
}

/// <summary>The two headers of a signed request.</summary>
/// <param name="SignatureInput">The value of <c>Signature-Input</c>.</param>
/// <param name="Signature">The value of <c>Signature</c>.</param>
public sealed record SignatureHeaders(string SignatureInput, string Signature);

/// <summary>A request signature as read from its headers, not yet verified.</summary>
/// <param name="Created">The <c>created</c> parameter, unix seconds.</param>
/// <param name="GatewayId">The gateway named by <c>keyid</c>.</param>
/// <param name="SignerKeyId">The key id named by <c>keyid</c> (SHA-256 of the public key, lowercase hex).</param>
/// <param name="Signature">The 64-byte Ed25519 signature.</param>
public sealed record SignedRequest(long Created, string GatewayId, string SignerKeyId, byte[] Signature)
{
    /// <summary>The <c>keyid</c> parameter as written: <c>gatewayId/keyId</c>.</summary>
    public string KeyId => $"{GatewayId}/{SignerKeyId}";
}
