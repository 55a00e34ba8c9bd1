namespace Federation.Aggregator.Api;

/// <summary>
/// Who may use the HTTP API, configured under <c>Aggregator:Api</c>. Only SHA-256 hashes of
/// tokens are configured, so a leaked configuration file does not leak a credential.
/// </summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Aggregator:Api";

    /// <summary>The credentials the API accepts.</summary>
    public List<ApiCredential> Credentials { get; set; } = [];

    /// <summary>Throws an error naming the setting to fix when a credential cannot work.</summary>
    /// <exception cref="InvalidOperationException">A credential is incomplete or malformed.</exception>
    public void Validate()
    {
        foreach (var (credential, index) in Credentials.Select((credential, index) => (credential, index)))
        {
            var setting = $"{Section}:Credentials:{index}";
            if (string.IsNullOrWhiteSpace(credential.Name))
            {
                throw new InvalidOperationException($"{setting}:Name is empty; name who holds the token.");
            }

            if (credential.Role is not (ApiRoles.Operator or ApiRoles.Auditor))
            {
                throw new InvalidOperationException($"{setting}:Role is '{credential.Role}'; use {ApiRoles.Operator} or {ApiRoles.Auditor}.");
            }

            if (credential.TokenSha256.Length != 64 || !credential.TokenSha256.All(Uri.IsHexDigit))
            {
                throw new InvalidOperationException($"{setting}:TokenSha256 of '{credential.Name}' is not 64 hex digits; set it to `printf %s TOKEN | sha256sum`.");
            }
        }
    }
}

/// <summary>One bearer token and what it may do.</summary>
public sealed class ApiCredential
{
    /// <summary>Who holds it, for logs and audit (e.g. "model-team", "auditor-kpmg").</summary>
    public string Name { get; set; } = "";

    /// <summary><c>operator</c> (read and steer rounds) or <c>auditor</c> (read only).</summary>
    public string Role { get; set; } = "";

    /// <summary>SHA-256 of the token's UTF-8 bytes, lowercase hex (<c>printf %s TOKEN | sha256sum</c>).</summary>
    public string TokenSha256 { get; set; } = "";
}

/// <summary>The roles of the API.</summary>
public static class ApiRoles
{
    /// <summary>Reads everything and steers rounds.</summary>
    public const string Operator = "operator";

    /// <summary>Reads everything, changes nothing.</summary>
    public const string Auditor = "auditor";
}
