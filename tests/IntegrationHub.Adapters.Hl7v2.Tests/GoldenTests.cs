namespace IntegrationHub.Adapters.Hl7v2.Tests;

public sealed class GoldenTests
{
    public static readonly string[] Names =
    [
        "adt-a01", "adt-a04", "adt-a08", "adt-a03", "oru-r01", "siu-s12", "vxu-v04",
        "adt-a04-utf8-names", "adt-a08-latin1", "oru-r01-v27-truncation", "adt-a04-custom-delimiters",
    ];

    public static TheoryData<string> Messages => new(Names);

    static readonly Hl7AckOptions AckOptions = new("ACK-1", new DateTimeOffset(2026, 12, 2, 18, 0, 0, TimeSpan.Zero));

    [Theory, MemberData(nameof(Messages))]
    public void Parse_tree_matches_the_golden_file(string name)
    {
        var r = Hl7Parser.Parse(Golden.Input(name));
        Assert.True(r.Succeeded, string.Join("; ", r.Problems));
        Golden.Check(name + ".tree.txt", Golden.Tree(r));
    }

    [Theory, MemberData(nameof(Messages))]
    public void Writing_what_was_parsed_gives_the_same_bytes(string name)
    {
        var bytes = Golden.Input(name);
        Assert.Equal(bytes, Hl7Writer.WriteBytes(Hl7Parser.Parse(bytes).Message!));
    }

    [Theory, MemberData(nameof(Messages))]
    public void Accept_ack_matches_the_golden_file(string name)
    {
        var ack = Hl7Ack.Build(Hl7Parser.Parse(Golden.Input(name)), AckOptions);
        var text = ack.Outcome == Hl7AckOutcome.Send ? Hl7Writer.WriteString(ack.Ack!).Replace('\r', '\n') : ack.Outcome + "\n";
        Golden.Check(name + ".ack-accept.hl7", text);
    }

    public static TheoryData<string> Rejects => new(
        "reject-missing-control-id", "reject-version-2-9", "reject-bad-segment", "reject-bad-charset", "reject-enhanced-cr", "close-no-msh");

    [Theory, MemberData(nameof(Rejects))]
    public void Reject_ack_matches_the_golden_file(string name)
    {
        var ack = Hl7Ack.Build(Hl7Parser.Parse(Golden.Input(name)), AckOptions);
        var text = ack.Outcome == Hl7AckOutcome.Send ? Hl7Writer.WriteString(ack.Ack!).Replace('\r', '\n') : ack.Outcome + "\n";
        Golden.Check(name + ".ack-reject.hl7", text);
    }
}
