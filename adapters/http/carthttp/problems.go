package carthttp

import (
	"net/http"

	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
)

// Problems are the module's rows of the error-to-problem table (matched in order, so more specific errors
// come first): how HTTP answers its errors.
var Problems = []ports.Problem{
	{Err: cart.ErrInvalidToken, Status: http.StatusUnauthorized, Type: "invalid-cart-token", Title: "Invalid guest cart token"},
	{Err: cart.ErrNotFound, Status: http.StatusNotFound, Type: "cart-not-found", Title: "Cart not found"},
	{Err: cart.ErrLineNotFound, Status: http.StatusNotFound, Type: "cart-line-not-found", Title: "Cart line not found"},
	{Err: cart.ErrUnknownSKU, Status: http.StatusNotFound, Type: "sku-not-found", Title: "Unknown SKU"},
	{Err: cart.ErrInsufficientStock, Status: http.StatusConflict, Type: "insufficient-stock", Title: "Insufficient stock"},
	{Err: cart.ErrStockConflict, Status: http.StatusConflict, Type: "stock-conflict", Title: "Stock below reserved units"},
	{Err: cart.ErrLimit, Status: http.StatusConflict, Type: "cart-limit", Title: "Cart limit reached"},
	{Err: cart.ErrEmpty, Status: http.StatusConflict, Type: "cart-empty", Title: "Cart is empty"},
	{Err: cart.ErrCheckoutPending, Status: http.StatusConflict, Type: "checkout-pending", Title: "Checkout in progress"},
	{Err: cart.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-cart-input", Title: "Invalid cart input"},
}
