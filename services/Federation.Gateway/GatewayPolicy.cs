using Federation.Policies;

namespace Federation.Gateway;

/// <summary>Loads the gateway's release policy at start-up.</summary>
public static class GatewayPolicy
{
    /// <summary>
    /// Loads the policy file named by <c>Gateway:PolicyFile</c>. A missing or invalid file stops
    /// the start with the loader's message (file, line, field), so nothing leaves without a policy.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file is missing or invalid.</exception>
    public static LoadedPolicy Load(string path)
    {
        try
        {
            return PolicyLoader.Load(path);
        }
        catch (PolicyException error)
        {
            throw new InvalidOperationException($"Gateway:PolicyFile: {error.Message}", error);
        }
    }
}
