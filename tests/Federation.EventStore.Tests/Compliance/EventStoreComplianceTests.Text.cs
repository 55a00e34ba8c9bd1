namespace Federation.EventStore.Tests.Compliance;

/// <summary>Text that one backend could store and another could not must be refused by all of them.</summary>
public abstract partial class EventStoreComplianceTests
{
    [Theory]
    [InlineData("stream id")]
    [InlineData("type")]
    public async Task NUL_in_a_stream_id_or_a_type_is_refused_and_nothing_is_written(string where)
    {
        var store = await CreateStoreAsync();
        var streamId = where == "stream id" ? "contributor-\0-1" : "contributor-1";
        var type = where == "type" ? "Contribution\0Received" : "ContributionReceived";

        await Should.ThrowAsync<ArgumentException>(
            () => store.AppendAsync(streamId, ExpectedVersion.Any, [TestEvents.New(), TestEvents.New(type: type)]));

        (await store.GetLastPositionAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Reads_refuse_a_stream_id_with_NUL()
    {
        var store = await CreateStoreAsync();

        await Should.ThrowAsync<ArgumentException>(() => store.GetStreamVersionAsync("contributor-\0"));
        Should.Throw<ArgumentException>(() => store.ReadStreamAsync("contributor-\0"));
    }

    [Fact]
    public async Task An_escaped_NUL_in_data_and_a_NUL_in_a_header_round_trip()
    {
        var store = await CreateStoreAsync();
        const string data = """{"note":"a\u0000b"}""";
        var headers = new Dictionary<string, string> { ["h\0"] = "x\0y" };
        await store.AppendAsync("contributor-1", ExpectedVersion.NoStream, [TestEvents.New(data: data, metadata: new EventMetadata(null, null, headers))]);

        var recorded = (await store.ReadAllAsync().ToListAsync()).Single();

        string.Equals(recorded.Data, data, StringComparison.Ordinal).ShouldBeTrue();
        recorded.Metadata.Headers.Single().ShouldBe(new KeyValuePair<string, string>("h\0", "x\0y"));
    }
}
