//! Orders as the shop's order source gives them (docs/orders.md) and as the console shows them.

use serde::{Deserialize, Serialize};

/// One order of the shop's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The shop's order number, as the shopper knows it.
    pub number: String,
    /// `pending`, `paid`, `fulfilled`, `shipped`, `delivered`, `cancelled` or `refunded`.
    pub status: OrderStatus,
    /// When it was placed (RFC 3339).
    pub placed_at: String,
    /// The total, a decimal string.
    pub total: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// What was ordered.
    pub items: Vec<OrderItem>,
    /// Shipping and tracking, once there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilment: Option<Fulfilment>,
    /// The shop's page for the order (http or https only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum OrderStatus {
    Pending,
    Paid,
    Fulfilled,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

/// A line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The product's title.
    pub title: String,
    /// How many.
    pub quantity: u32,
    /// A picture of it (http or https only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// Shipping of an order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Fulfilment {
    /// The carrier's or shop's word for where the parcel is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Who carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// The parcel's tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// The carrier's tracking page (http or https only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
}

/// The order source's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersResponse {
    /// Newest first.
    pub orders: Vec<Order>,
}

impl OrderStatus {
    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }
}
