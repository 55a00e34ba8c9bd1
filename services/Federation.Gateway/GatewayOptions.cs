namespace Federation.Gateway;

/// <summary>A gateway process's settings, bound from the <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>Gateway id as enrolled with the aggregator.</summary>
    public string Id { get; set; } = "";

    /// <summary>The gateway's Ed25519 key file (readable only by the gateway's user).</summary>
    public string KeyFile { get; set; } = "";

    /// <summary>The factory's release policy file (YAML, see policies/example.yaml). Without a valid one nothing leaves.</summary>
    public string PolicyFile { get; set; } = "";

    /// <summary>Folder holding the Fashion-MNIST files that stand in for inspection photos.</summary>
    public string DataDirectory { get; set; } = Data.FashionMnist.DefaultDirectory;

    /// <summary>How many sites the data set is dealt out to.</summary>
    public int Sites { get; set; } = 3;

    /// <summary>This gateway's site, from 0.</summary>
    public int Site { get; set; }

    /// <summary>Dirichlet concentration of the label skew.</summary>
    public double Alpha { get; set; } = 0.5;

    /// <summary>Seed of the split; every site must use the same one.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Throws an error naming the setting to fix when the options cannot work.</summary>
    /// <exception cref="InvalidOperationException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            throw new InvalidOperationException("Gateway:Id is empty; set it to the id enrolled with the aggregator.");
        }

        if (string.IsNullOrWhiteSpace(KeyFile))
        {
            throw new InvalidOperationException("Gateway:KeyFile is empty; point it at the gateway's Ed25519 key file.");
        }

        if (string.IsNullOrWhiteSpace(PolicyFile))
        {
            throw new InvalidOperationException("Gateway:PolicyFile is empty; nothing may leave without a policy. Point it at the factory's policy file (see policies/example.yaml).");
        }

        if (Sites < 1 || Site < 0 || Site >= Sites)
        {
            throw new InvalidOperationException($"Gateway:Site must be between 0 and Gateway:Sites - 1 ({Sites - 1}); it is {Site}.");
        }

        if (!(Alpha > 0))
        {
            throw new InvalidOperationException("Gateway:Alpha must be positive.");
        }
    }
}
