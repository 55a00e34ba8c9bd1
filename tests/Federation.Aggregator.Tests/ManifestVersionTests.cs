using Federation.Audit.Contributions;
using Federation.Contracts;
using Federation.Contracts.Signing;
using Federation.Trust;

namespace Federation.Aggregator.Tests;

/// <summary>Manifest v3 names its task and states its privacy charge; v1 and v2 never carry one.</summary>
public sealed class ManifestVersionTests
{
    private static readonly ReleasePrivacy Charge = new(ReleasePrivacy.DpSgd, 0.2, 25, 1.0, 1.1, 0.9, 1.4, 8.0, 1e-5, 2_592_000);

    private static ContributionManifest Manifest(string type, string? task, ReleasePrivacy? privacy) => new(
        type, "factory-1", new string('a', 64), 1, new string('b', 64), new string('c', 64), 100, 500, 1, new string('d', 64),
        new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), task, privacy);

    private static ContributionManifest? Parse(ContributionManifest manifest, out Audit.Rejection? rejection) =>
        ManifestDocument.Parse(System.Text.Encoding.UTF8.GetString(JsonCanonicalizer.Serialize(manifest, FederationJson.Options)), out rejection);

    [Fact]
    public void A_v3_manifest_with_its_task_and_charge_is_read_with_both()
    {
        var read = Parse(Manifest(DocumentTypes.ContributionManifestV3, "default", Charge), out var rejection);

        rejection.ShouldBeNull();
        read!.Privacy.ShouldBe(Charge);
        read.Task.ShouldBe("default");
    }

    [Theory]
    [InlineData(DocumentTypes.ContributionManifestV3, "default", false, "must state its privacy charge")]
    [InlineData(DocumentTypes.ContributionManifestV3, null, true, "must name its task")]
    [InlineData(DocumentTypes.ContributionManifestV2, "press-fit", true, "carries no privacy charge")]
    [InlineData(DocumentTypes.ContributionManifest, null, true, "carries no privacy charge")]
    public void A_manifest_whose_version_and_members_disagree_is_malformed(string type, string? task, bool withCharge, string reason)
    {
        Parse(Manifest(type, task, withCharge ? Charge : null), out var rejection).ShouldBeNull();

        rejection!.Reason.ShouldBe(Contracts.Events.RejectionReason.MalformedManifest);
        rejection.Detail.ShouldContain(reason);
    }

    [Fact]
    public void A_charge_out_of_range_is_malformed_naming_the_field()
    {
        Parse(Manifest(DocumentTypes.ContributionManifestV3, "default", Charge with { Mechanism = "laplace" }), out var mechanism).ShouldBeNull();
        Parse(Manifest(DocumentTypes.ContributionManifestV3, "default", Charge with { SamplingRate = 1.5 }), out var rate).ShouldBeNull();

        mechanism!.Detail.ShouldContain("names mechanism 'laplace'");
        rate!.Detail.ShouldContain("samplingRate outside (0, 1]");
    }
}
