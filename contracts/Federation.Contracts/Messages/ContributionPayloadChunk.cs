using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>
/// One piece of a contribution payload too large to travel inside its <see cref="ContributionSubmitted"/>. The gateway
/// sends every chunk of a payload, then the contribution with an empty payload whose signed manifest names the
/// payload by SHA-256 and length (a claim check). The aggregator assembles the chunks on disk and keeps the payload
/// only if it hashes to the announced SHA-256. Chunks are unsigned: the signed manifest's hash authenticates them.
/// Layout (docs/FORMATS.md): chunk size S is fixed per payload; chunk i covers bytes [i·S, min((i+1)·S, total));
/// <paramref name="Count"/> = ⌈total / S⌉.
/// </summary>
/// <param name="PayloadSha256">SHA-256 (lowercase hex) of the whole payload.</param>
/// <param name="TotalBytes">Length of the whole payload in bytes.</param>
/// <param name="Index">This chunk's number, from 0.</param>
/// <param name="Count">How many chunks the payload has.</param>
/// <param name="Offset">Where <paramref name="Bytes"/> begin in the payload: <paramref name="Index"/> · S.</param>
/// <param name="Bytes">The chunk's bytes: S of them, fewer only in the last chunk.</param>
[MessageUrn("federation:contribution-payload-chunk:v1")]
public sealed record ContributionPayloadChunk(string PayloadSha256, long TotalBytes, int Index, int Count, long Offset, byte[] Bytes);
