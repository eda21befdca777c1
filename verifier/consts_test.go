package verifier

// Test credentials and SIDs shared by the verifier's tests (package quest
// has its own for the parsing tests).
const (
	hex32       = "0123456789abcdef0123456789abcdef"
	testAccount = "AC" + hex32
	testKey     = "SK" + "fedcba9876543210fedcba9876543210"
	testSecret  = "Zq9SECRETdoNotLeak4u7Xw2Lp0Hj5Vb"
)
