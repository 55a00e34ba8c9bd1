using Federation.Audit.Bundles;
using Federation.Cli.Audit;
using Federation.Trust.Transparency;

namespace Federation.EndToEnd.Tests;

/// <summary><c>fedctl audit proof</c>: proofs fetched from the API or computed from a bundle, verified against the signed checkpoint.</summary>
public sealed partial class AuditTests
{
    [Theory]
    [InlineData("")]
    [InlineData("bundle")]
    public async Task An_inclusion_proof_for_the_checkpoints_size_verifies(string source)
    {
        var (code, output) = await fixture.AuditAsync($"proof --position 3 --log-key {fixture.LogKey}{From(source)}");

        code.ShouldBe(0, output);
        output.ShouldContain("leaf hash    ");
        output.ShouldContain($"inclusion proof, leaf 2 of tree size {Size}");
        output.ShouldContain("(the signed checkpoint's)");
        output.ShouldContain($"OK: event 3 is leaf 2 of the log the checkpoint of size {Size} signs.");
        output.ShouldNotContain("warning");
    }

    [Theory]
    [InlineData("")]
    [InlineData("bundle")]
    public async Task An_inclusion_proof_in_a_smaller_tree_is_tied_to_the_checkpoint_by_a_consistency_proof(string source)
    {
        var (code, output) = await fixture.AuditAsync($"proof --position 2 --tree-size 5 --log-key {fixture.LogKey}{From(source)}");

        code.ShouldBe(0, output);
        output.ShouldContain($"consistency proof, size 5 -> {Size} (ties that root to the checkpoint)");
        output.ShouldContain("OK: event 2");
    }

    [Theory]
    [InlineData("")]
    [InlineData("bundle")]
    public async Task A_consistency_proof_verifies_against_the_signed_checkpoint(string source)
    {
        var (code, output) = await fixture.AuditAsync($"proof --from 4 --to {Size - 1} --log-key {fixture.LogKey}{From(source)}");

        code.ShouldBe(0, output);
        output.ShouldContain($"consistency proof, size 4 -> {Size - 1}");
        output.ShouldContain($"OK: the log of size 4 is a prefix of the log of size {Size - 1}.");
    }

    [Theory]
    [InlineData("")]
    [InlineData("bundle")]
    public async Task A_checkpoint_kept_earlier_is_proven_a_prefix_of_the_current_one(string source)
    {
        var verifier = NoteVerifier.Parse(fixture.LogKey);
        var kept = Checkpoint.OpenSigned(await File.ReadAllTextAsync(fixture.KeptCheckpoint), verifier.Name, [verifier]);

        var (code, output) = await fixture.AuditAsync($"proof --from {kept.Size} --checkpoint {fixture.KeptCheckpoint} --log-key {fixture.LogKey}{From(source)}");

        code.ShouldBe(0, output);
        output.ShouldContain($"old root     {Convert.ToHexStringLower(kept.RootHash)} at size {kept.Size} (from your signed checkpoint");
        output.ShouldContain($"OK: the log of size {kept.Size} is a prefix of the log of size {Size}.");
    }

    [Fact]
    public async Task A_proof_through_a_changed_event_fails()
    {
        var bundle = fixture.CopyOfBundle();
        var line = LineOf(bundle, "federation.round-opened.v1");
        ChangeOneByte(bundle, AuditBundle.EventsFile, line, "baseModelSha256", value => value + 1, ChangeHex);

        var (code, output) = await fixture.AuditAsync($"proof --position {line} --bundle {bundle} --log-key {fixture.LogKey}");

        code.ShouldBe(1, output);
        output.ShouldContain("the inclusion proof does not verify");
        output.ShouldContain("FAIL");
    }

    [Fact]
    public async Task Without_a_pinned_key_the_proof_warns_that_it_trusts_the_served_key()
    {
        var (code, output) = await fixture.AuditAsync("proof --position 1");

        code.ShouldBe(0, output);
        output.ShouldContain("warning: no --log-key given");
    }

    private long Size => File.ReadLines(Path.Combine(fixture.Bundle, AuditBundle.EventsFile)).LongCount();

    private string From(string source) => source == "bundle" ? $" --bundle {fixture.Bundle}" : "";
}
