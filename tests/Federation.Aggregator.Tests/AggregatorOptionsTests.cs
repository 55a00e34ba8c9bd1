using Federation.Coordination.Hosting;


namespace Federation.Aggregator.Tests;

public sealed class AggregatorOptionsTests
{
    [Fact]
    public void An_aggregator_whose_rounds_the_model_team_opens_needs_no_configured_gateways()
    {
        // Gateways are enrolled through the API (fedctl gateways enrol) and live in the history.
        var options = new AggregatorOptions { Rounds = { Count = 0, MinParticipants = 3 } };

        Should.NotThrow(options.Validate);
    }

    [Fact]
    public void An_aggregator_that_opens_rounds_by_itself_may_start_before_any_gateway_is_enrolled()
    {
        // Its scheduler waits until enough gateways have a valid key before it opens a round.
        var options = new AggregatorOptions { Rounds = { Count = 5, MinParticipants = 3 } };

        Should.NotThrow(options.Validate);
    }

    [Fact]
    public void Payload_limits_that_cannot_hold_one_payload_are_refused_with_the_setting_named()
    {
        var options = new AggregatorOptions { Payloads = { MaxPayloadBytes = 2L << 30, MaxIncomingBytes = 1L << 30 } };

        Should.Throw<InvalidOperationException>(options.Validate).Message.ShouldContain("Aggregator:Payloads:MaxIncomingBytes");
    }
}
