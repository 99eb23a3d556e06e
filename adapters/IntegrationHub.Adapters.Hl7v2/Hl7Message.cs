using System.Text;

namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>
/// A parsed message: the decoded text once, and segments that are slices of it. Nothing below a field is split
/// until asked for; escapes are decoded only when a value is read.
/// </summary>
public sealed class Hl7Message
{
    readonly Hl7Segment[] _segments;

    internal Hl7Message(string text, Hl7Delimiters delimiters, Encoding encoding, Hl7Segment[] segments)
    {
        Text = text;
        Delimiters = delimiters;
        Encoding = encoding;
        _segments = segments;
        foreach (var s in segments) s.Message = this;
    }

    /// <summary>The whole message as decoded characters (the buffer every slice points into).</summary>
    public string Text { get; }
    public Hl7Delimiters Delimiters { get; }
    /// <summary>The character set from MSH-18 (ASCII and 8859/1 both read and write as Latin-1, byte for byte).</summary>
    public Encoding Encoding { get; }
    public IReadOnlyList<Hl7Segment> Segments => _segments;

    public MshSegment Msh => new(_segments[0]);

    public Hl7Segment? First(string name) => _segments.FirstOrDefault(s => s.Name == name);
    public IEnumerable<Hl7Segment> All(string name) => _segments.Where(s => s.Name == name);

    /// <summary>Typed views of the segments the maps need, in message order.</summary>
    public IEnumerable<PidSegment> Pid => All("PID").Select(s => new PidSegment(s));
    public IEnumerable<Pv1Segment> Pv1 => All("PV1").Select(s => new Pv1Segment(s));
    public IEnumerable<ObrSegment> Obr => All("OBR").Select(s => new ObrSegment(s));
    public IEnumerable<ObxSegment> Obx => All("OBX").Select(s => new ObxSegment(s));
}

/// <summary>One segment: a slice of the message text and the offsets of its fields.</summary>
public sealed class Hl7Segment
{
    readonly int[] _fieldStarts; // start of each split piece; piece i ends before _fieldStarts[i+1]-1
    readonly int _end;

    internal Hl7Segment(string name, int index, int start, int end, int[] fieldStarts)
    {
        Name = name;
        Index = index;
        Start = start;
        _end = end;
        _fieldStarts = fieldStarts;
    }

    public Hl7Message Message { get; internal set; } = null!;
    public string Name { get; }
    /// <summary>0-based position in the message.</summary>
    public int Index { get; }
    /// <summary>1-based count of segments with this name up to this one.</summary>
    public int Occurrence
    {
        get
        {
            var n = 0;
            for (var i = 0; i <= Index; i++)
                if (Message.Segments[i].Name == Name) n++;
            return n;
        }
    }
    internal int Start { get; }
    public ReadOnlyMemory<char> Raw => Message.Text.AsMemory(Start, _end - Start);

    bool IsMsh => Name is "MSH" or "BHS" or "FHS";

    /// <summary>The highest field sequence present.</summary>
    public int FieldCount => IsMsh ? _fieldStarts.Length : _fieldStarts.Length - 1;

    /// <summary>Field by its sequence number (PID-5 → Field(5)); empty when absent.</summary>
    public Hl7Element Field(int sequence)
    {
        var d = Message.Delimiters;
        if (IsMsh)
        {
            if (sequence == 1) return new Hl7Element(Message.Text.AsMemory(Start + 3, 1), d, Hl7Level.Literal, Message.Encoding);
            if (sequence == 2) return new Hl7Element(Piece(1), d, Hl7Level.Literal, Message.Encoding);
            return sequence - 1 < _fieldStarts.Length ? new Hl7Element(Piece(sequence - 1), d, Hl7Level.Field, Message.Encoding) : default;
        }
        return sequence >= 1 && sequence < _fieldStarts.Length ? new Hl7Element(Piece(sequence), d, Hl7Level.Field, Message.Encoding) : default;
    }

    /// <summary>Decoded value of SEG-f.c.s (1-based), the usual way maps read a leaf.</summary>
    public string this[int field, int component = 1, int subComponent = 1] =>
        Field(field).Component(component).Child(subComponent).Value;

    ReadOnlyMemory<char> Piece(int i)
    {
        var s = _fieldStarts[i];
        var e = i + 1 < _fieldStarts.Length ? _fieldStarts[i + 1] - 1 : _end;
        return Message.Text.AsMemory(s, e - s);
    }

    public override string ToString() => Raw.ToString();
}
