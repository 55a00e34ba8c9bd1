using Federation.Trust;

namespace Federation.Aggregator.Enrolment;

/// <summary>The gateways the aggregator knows and the public key each signs with.</summary>
public sealed class EnrolledGateways
{
    private readonly Dictionary<string, EnrolledGateway> byId;

    /// <summary>Creates the registry from (gateway id, Ed25519 public key) pairs.</summary>
    public EnrolledGateways(IEnumerable<(string GatewayId, byte[] PublicKey)> gateways)
    {
        byId = gateways.ToDictionary(
            gateway => gateway.GatewayId,
            gateway => new EnrolledGateway(gateway.GatewayId, gateway.PublicKey, KeyId.Of(gateway.PublicKey)));
    }

    /// <summary>Every enrolled gateway id, in order.</summary>
    public IReadOnlyList<string> Ids => [.. byId.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The enrolled gateway with this id, or null.</summary>
    public EnrolledGateway? Find(string gatewayId) => byId.GetValueOrDefault(gatewayId);
}

/// <summary>An enrolled gateway.</summary>
/// <param name="GatewayId">Its id.</param>
/// <param name="PublicKey">Its Ed25519 public key.</param>
/// <param name="KeyId">SHA-256 of the public key, lowercase hex.</param>
public sealed record EnrolledGateway(string GatewayId, byte[] PublicKey, string KeyId);
