namespace IntegrationHub.Adapters.Notifications.Tests;

/// <summary>GSM-7 and UCS-2 segment counts against the known boundaries.</summary>
public sealed class SmsEncodingTests
{
    [Theory]
    [InlineData("", SmsAlphabet.Gsm7, 0, 1)]
    [InlineData("Your report is ready", SmsAlphabet.Gsm7, 20, 1)]
    [InlineData("160a", SmsAlphabet.Gsm7, 160, 1)]
    [InlineData("161a", SmsAlphabet.Gsm7, 161, 2)]
    [InlineData("306a", SmsAlphabet.Gsm7, 306, 2)]
    [InlineData("307a", SmsAlphabet.Gsm7, 307, 3)]
    [InlineData("80€", SmsAlphabet.Gsm7, 160, 1)]      // the euro sign is an extension character: two septets
    [InlineData("81€", SmsAlphabet.Gsm7, 162, 2)]
    [InlineData("153€", SmsAlphabet.Gsm7, 306, 3)]     // 76 pairs fit in 153 septets; the 77th moves to the next part
    [InlineData("70ب", SmsAlphabet.Ucs2, 70, 1)]
    [InlineData("71ب", SmsAlphabet.Ucs2, 71, 2)]
    [InlineData("134ب", SmsAlphabet.Ucs2, 134, 2)]
    [InlineData("135ب", SmsAlphabet.Ucs2, 135, 3)]
    [InlineData("35😀", SmsAlphabet.Ucs2, 70, 1)]     // surrogate pairs: two code units each
    [InlineData("36😀", SmsAlphabet.Ucs2, 72, 2)]     // 33 pairs per part of 67; never split
    [InlineData("ça", SmsAlphabet.Ucs2, 2, 1)]         // GSM has Ç but not ç
    public void Segments_and_alphabet(string spec, SmsAlphabet alphabet, int units, int segments)
    {
        var text = Expand(spec);

        var shape = SmsEncoding.Of(text);

        Assert.Equal((alphabet, units, segments), (shape.Alphabet, shape.Units, shape.Segments));
    }

    [Fact]
    public void Urdu_and_hindi_are_ucs2_and_say_which_characters_forced_it()
    {
        var urdu = SmsEncoding.Of("آپ کی رپورٹ تیار ہے");
        var hindi = SmsEncoding.Of("आपकी रिपोर्ट तैयार है");
        var mixed = SmsEncoding.Of("Receipt 12 ready ✓");

        Assert.Equal(SmsAlphabet.Ucs2, urdu.Alphabet);
        Assert.Equal(SmsAlphabet.Ucs2, hindi.Alphabet);
        Assert.Equal(["✓"], mixed.NonGsmCharacters);
    }

    /// <summary>"161a" is 161 times 'a'; anything else is the text itself.</summary>
    static string Expand(string spec)
    {
        var digits = new string([.. spec.TakeWhile(char.IsAsciiDigit)]);
        if (digits.Length == 0) return spec;
        var unit = spec[digits.Length..];
        return string.Concat(Enumerable.Repeat(unit, int.Parse(digits)));
    }
}
