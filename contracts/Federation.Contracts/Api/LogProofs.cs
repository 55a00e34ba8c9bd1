namespace Federation.Contracts.Api;

/// <summary>An event's inclusion proof; hashes are 32 bytes (base64 in JSON).</summary>
/// <param name="Position">Global position of the event (leaf index + 1).</param>
/// <param name="TreeSize">Size of the tree the proof is for.</param>
/// <param name="LeafHash">SHA-256(0x00 ‖ leaf bytes).</param>
/// <param name="RootHash">Root of the tree of <paramref name="TreeSize"/>; compare with a signed checkpoint.</param>
/// <param name="Proof">The RFC 9162 audit path, lowest level first.</param>
public sealed record InclusionProof(long Position, long TreeSize, byte[] LeafHash, byte[] RootHash, IReadOnlyList<byte[]> Proof);

/// <summary>A consistency proof between two tree sizes.</summary>
/// <param name="FromSize">The older size.</param>
/// <param name="ToSize">The newer size.</param>
/// <param name="FromRoot">Root at the older size.</param>
/// <param name="ToRoot">Root at the newer size.</param>
/// <param name="Proof">The RFC 9162 consistency proof.</param>
public sealed record ConsistencyProof(long FromSize, long ToSize, byte[] FromRoot, byte[] ToRoot, IReadOnlyList<byte[]> Proof);
