using IntegrationHub.Adapters.JazzCash;

namespace IntegrationHub.Adapters.Payments.Tests;

/// <summary>pp_SecureHash against the vectors of docs/payments.md §1.7 (A, B, D printed by JazzCash; C, E, F computed there).</summary>
public sealed class JazzCashSecureHashTests
{
    static Dictionary<string, string?> Fields(params (string Name, string? Value)[] fields) => fields.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);

    public static TheoryData<string, string, Dictionary<string, string?>, string> Vectors => new()
    {
        { "A (v4.2 hashing scheme)", "0F5DD14AE2", Fields(("pp_MerchantID", "MER123"), ("pp_OrderInfo", "A48cvE28"), ("pp_Amount", "2995")),
            "c7689cda7474eb1adcd343fd0c0b676bad0ba66361cc46db589bdb0da4c1c867" },
        { "B (2026 IPN sample: empty and null dropped, password hashed)", "0123456789", Fields(("pp_Version", "2.0"), ("pp_TxnType", "MWALLET"), ("pp_BankID", ""),
            ("pp_ProductID", null), ("pp_Password", "0123456789"), ("pp_TxnRefNo", "T20240418145702"), ("pp_TxnDateTime", "20240418145702"),
            ("pp_ResponseCode", "121"), ("pp_ResponseMessage", "Transaction has been marked confirmed by Merchant."), ("pp_AuthCode", "060935465981"),
            ("pp_SettlementExpiry", null), ("pp_RetreivalReferenceNo", "240418718258")),
            "2B47BCF7825FA27FC8B522292BC8D226213FCCDA685FC68A67EC20B10836E5B7" },
        { "C (wallet refund)", "3vv9wu3a18", Fields(("pp_Amount", "25000"), ("pp_MerchantID", "MC25041"), ("pp_MerchantMPIN", "1234"), ("pp_Password", "sz1v4agvyf"),
            ("pp_TxnCurrency", "PKR"), ("pp_TxnRefNo", "T20220518150213")),
            "2C595361C2DA0E502D18BFBAA92CF4740330215E5E8AD0CF4489A64E7400B117" },
        { "D (2026 Redoc example)", "abcd1234efgh5678ijkl9012mnop3456", Fields(("pp_Amount", "100"), ("pp_BillReference", "B20251020210000"), ("pp_MerchantID", "MC000000"),
            ("pp_TxnCurrency", "PKR"), ("pp_TxnDateTime", "20251020210000"), ("pp_TxnRefNo", "T20251020210000")),
            "7F5E94F96F2EDFBA53A75B0D9E0241AC93BE2FE24134E0D11F73C4A0234A373C" },
        { "E (hosted checkout with ppmpf_1: pp_ before ppmpf_)", "demo_salt_1234", VectorE(),
            "C3A42B67AD7B233904AD32187426346643471A208B3C2489F6FFCD42F2DEC053" },
        { "formats.md hosted MWALLET example", "0123456789", Fields(("pp_Amount", "10000"), ("pp_BillReference", "billRef"), ("pp_Description", "Test"), ("pp_Language", "EN"),
            ("pp_MerchantID", "MC00001"), ("pp_Password", "pass123"), ("pp_ReturnURL", "https://example.org/return"), ("pp_TxnCurrency", "PKR"),
            ("pp_TxnDateTime", "20240101120000"), ("pp_TxnExpiryDateTime", "20240102120000"), ("pp_TxnRefNo", "T20240101120000"), ("pp_TxnType", "MWALLET"),
            ("pp_Version", "1.1"), ("ppmpf_1", "")),
            "53E06109DB4E2B8F8E088989221F88ECC21BE80EF38F6397EDCE9D30D63E14B8" },
        { "IPN reply with E's salt", "demo_salt_1234", Fields(("pp_ResponseCode", "000"), ("pp_ResponseMessage", "IPN received successfully")),
            "1320698A44ACF73BD6A49DE594F1F64F39EC341011F222ECF329B688D581D549" },
    };

    static Dictionary<string, string?> VectorE() => Fields(("pp_Version", "1.1"), ("pp_TxnType", "MWALLET"), ("pp_Language", "EN"), ("pp_MerchantID", "MC12345"),
        ("pp_SubMerchantID", ""), ("pp_Password", "pass123"), ("pp_BankID", ""), ("pp_ProductID", ""), ("pp_TxnRefNo", "T20250101120000"), ("pp_Amount", "10000"),
        ("pp_TxnCurrency", "PKR"), ("pp_TxnDateTime", "20250101120000"), ("pp_BillReference", "billRef1"), ("pp_Description", "Test"),
        ("pp_TxnExpiryDateTime", "20250102120000"), ("pp_ReturnURL", "https://example.com/return"), ("ppmpf_1", "03001234567"), ("ppmpf_2", ""));

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Hash_matches_the_published_vector(string vector, string salt, Dictionary<string, string?> fields, string expected)
    {
        Assert.Equal(expected.ToUpperInvariant(), JazzCashSecureHash.Compute(fields, salt));
        fields[JazzCashSecureHash.Field] = expected; // printed in either case: compared without regard to it
        Assert.True(JazzCashSecureHash.Verify(fields, salt), vector);
    }

    [Fact]
    public void Sorting_that_folds_case_gives_another_hash()
    {
        // OrdinalIgnoreCase puts ppmpf_1 first ('M' < '_'); the ordinal order is JazzCash's.
        var fields = VectorE();
        var folded = "demo_salt_1234&" + string.Join("&", fields.Where(f => !string.IsNullOrEmpty(f.Value)).OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase).Select(f => f.Value));
        Assert.StartsWith("demo_salt_1234&03001234567&", folded);
        Assert.NotEqual("C3A42B67AD7B233904AD32187426346643471A208B3C2489F6FFCD42F2DEC053",
            Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData("demo_salt_1234"u8, System.Text.Encoding.Latin1.GetBytes(folded))));
    }

    [Theory]
    [InlineData("pp_Amount", "10001")]
    [InlineData("ppmpf_1", "03001234568")]
    [InlineData("pp_NewField", "added")]
    public void Changed_or_added_field_does_not_verify(string name, string value)
    {
        var fields = VectorE();
        fields[JazzCashSecureHash.Field] = "C3A42B67AD7B233904AD32187426346643471A208B3C2489F6FFCD42F2DEC053";
        fields[name] = value;

        Assert.False(JazzCashSecureHash.Verify(fields, "demo_salt_1234"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("C3A42B67")]
    [InlineData("Z3A42B67AD7B233904AD32187426346643471A208B3C2489F6FFCD42F2DEC053")]
    [InlineData("C3A42B67AD7B233904AD32187426346643471A208B3C2489F6FFCD42F2DEC053FF")]
    public void Missing_short_or_non_hex_hash_does_not_verify(string? hash)
    {
        var fields = VectorE();
        if (hash is not null) fields[JazzCashSecureHash.Field] = hash;

        Assert.False(JazzCashSecureHash.Verify(fields, "demo_salt_1234"));
    }

    [Fact]
    public void Wrong_salt_does_not_verify()
    {
        var fields = VectorE();
        fields[JazzCashSecureHash.Field] = "C3A42B67AD7B233904AD32187426346643471A208B3C2489F6FFCD42F2DEC053";

        Assert.False(JazzCashSecureHash.Verify(fields, "demo_salt_1235"));
    }
}
