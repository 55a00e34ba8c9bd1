using System.Security.Cryptography;

namespace Federation.Trust.Tests.Transparency;

/// <summary>
/// RFC 6962 §2.1 written as literally as possible (recursion over lists of leaf hashes,
/// plain SHA-256), to check the real implementation against. Slow; small trees only.
/// </summary>
public static class NaiveMerkle
{
    public static byte[] LeafHash(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] NodeHash(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    public static long Split(long n)
    {
        long k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }

    // MTH(D[n]) over leaf hashes.
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes)
    {
        if (leafHashes.Count == 0)
        {
            return SHA256.HashData(ReadOnlySpan<byte>.Empty);
        }

        if (leafHashes.Count == 1)
        {
            return leafHashes[0];
        }

        var k = (int)Split(leafHashes.Count);
        return NodeHash(Root(leafHashes.Take(k).ToList()), Root(leafHashes.Skip(k).ToList()));
    }

    // PATH(m, D[n]), RFC 6962 §2.1.1.
    public static List<byte[]> Path(int m, IReadOnlyList<byte[]> d)
    {
        if (d.Count <= 1)
        {
            return [];
        }

        var k = (int)Split(d.Count);
        var left = d.Take(k).ToList();
        var right = d.Skip(k).ToList();
        return m < k
            ? [.. Path(m, left), Root(right)]
            : [.. Path(m - k, right), Root(left)];
    }

    // PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 6962 §2.1.2.
    public static List<byte[]> Proof(int m, IReadOnlyList<byte[]> d) => SubProof(m, d, true);

    private static List<byte[]> SubProof(int m, IReadOnlyList<byte[]> d, bool b)
    {
        if (m == d.Count)
        {
            return b ? [] : [Root(d)];
        }

        var k = (int)Split(d.Count);
        var left = d.Take(k).ToList();
        var right = d.Skip(k).ToList();
        return m <= k
            ? [.. SubProof(m, left, b), Root(right)]
            : [.. SubProof(m - k, right, false), Root(left)];
    }
}
