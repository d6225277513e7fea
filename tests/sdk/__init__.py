"""The local ClearNode driven by the real @erc7824/nitrolite SDK."""
