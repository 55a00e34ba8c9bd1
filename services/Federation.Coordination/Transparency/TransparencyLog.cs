using Federation.Audit.Transparency;
using Federation.Contracts.Api;
using Federation.EventStore;
using Federation.Trust.Transparency;

namespace Federation.Coordination.Transparency;

/// <summary>
/// The event history as an RFC 6962 Merkle tree: leaf i is <see cref="EventLeaf"/> of the event at
/// global position i + 1. The tree follows the store (positions are gap-free, so it only ever
/// appends), and answers with signed checkpoints and proofs that auditors verify offline.
/// </summary>
public sealed class TransparencyLog(IEventStore store, NoteSigner signer, string origin)
{
    private readonly MerkleTree tree = new();
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>The verifier key auditors pin: <c>name+keyhash+base64(0x01‖key)</c>.</summary>
    public string VerifierKey => signer.Verifier.VerifierKey;

    /// <summary>The log's origin line.</summary>
    public string Origin => origin;

    /// <summary>A signed checkpoint of the whole history as it is now.</summary>
    public async Task<string> SignedCheckpointAsync(CancellationToken cancellationToken) =>
        await WithTreeAsync(size => new Checkpoint(origin, size, tree.RootHash(size)).Sign(signer), cancellationToken);

    /// <summary>Proof that the event at <paramref name="position"/> is in the tree of <paramref name="treeSize"/> events.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The position or size is outside the history.</exception>
    public Task<InclusionProof> InclusionProofAsync(long position, long treeSize, CancellationToken cancellationToken) =>
        WithTreeAsync(size =>
        {
            RequireRange(treeSize >= 1 && treeSize <= size, $"treeSize must be between 1 and {size}.");
            RequireRange(position >= 1 && position <= treeSize, $"position must be between 1 and treeSize {treeSize}.");
            return new InclusionProof(position, treeSize, tree.LeafHash(position - 1), tree.RootHash(treeSize), tree.InclusionProof(position - 1, treeSize));
        }, cancellationToken);

    /// <summary>Proof that the tree of <paramref name="fromSize"/> events is a prefix of the tree of <paramref name="toSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The sizes are outside the history or out of order.</exception>
    public Task<ConsistencyProof> ConsistencyProofAsync(long fromSize, long toSize, CancellationToken cancellationToken) =>
        WithTreeAsync(size =>
        {
            RequireRange(toSize <= size, $"toSize must be at most {size}.");
            RequireRange(fromSize >= 1 && fromSize <= toSize, "fromSize must be between 1 and toSize.");
            return new ConsistencyProof(fromSize, toSize, tree.RootHash(fromSize), tree.RootHash(toSize), tree.ConsistencyProof(fromSize, toSize));
        }, cancellationToken);

    private async Task<T> WithTreeAsync<T>(Func<long, T> answer, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await foreach (var recorded in store.ReadAllAsync(tree.Size + 1, cancellationToken))
            {
                tree.Append(EventLeaf.Bytes(recorded));
            }

            return answer(tree.Size);
        }
        finally
        {
            gate.Release();
        }
    }

    private static void RequireRange(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(null, message);
        }
    }
}
